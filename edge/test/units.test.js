// Unit tests of the worker's pure modules in Node (no workerd needed): markup and
// escaping, the state cookie's bound, the context the worker builds from a request,
// the customer-cookie helper, charsets, config, the origin request, capped reads.
// Engine rules (page facts, the URL rule, trimming the state) run on the lean package
// through the kit, as in the worker; the cookie codec itself is tested with the kit
// (tests/node/cookies.test.mjs).

import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { renderPlacement, escapeHtml } from "../src/slot-markup.js";
import { readStateCookie, writeStateCookie, MAX_STATE_COOKIE } from "../src/state-cookie.js";
import { consentOf, mayPersist, pageFacts, requestContext } from "../src/request-context.js";
import { mintCustomerCookie, readCustomerCookie } from "../src/customer-cookie.js";
import { createKit, readCookies, stateBudget } from "../../js/src/kit/index.js";
import { compileBundle, BUNDLE_TEXT } from "./harness.js";

const tools = createRequire(import.meta.url)("../../pkg-node/perso.js");
const glue = await import("../../pkg/perso.js");
const kit = createKit(glue, glue.initSync({ module: new WebAssembly.Module(readFileSync(new URL("../../pkg/perso_bg.wasm", import.meta.url))) }));
const engine = kit.loadBundle(compileBundle(BUNDLE_TEXT));
const OPTIONS = { nowMs: 1_000, returnPath: "/p?q=1", actionPath: "/.perso/", locale: "en-US", currency: "USD", safeUrl: kit.safeUrl };
const EVIL = `<script>alert("x")</script>&'`;

test("every action kind escapes the bundle's text and drops unsafe URLs", () => {
  const actions = [
    { kind: "banner", title: EVIL, body: EVIL, image: "javascript:alert(1)", cta: { label: EVIL, url: "javascript:alert(1)" } },
    { kind: "offer", title: EVIL, body: EVIL, code: EVIL, terms: EVIL, single_use: true, display: "modal", expires_in_s: 60, cta: { label: EVIL, url: "data:text/html,x" } },
    { kind: "recommend", title: EVIL, items: [{ sku: EVIL, name: EVIL, price: 9.5, url: "//evil.example/", image: "vbscript:x" }] },
    { kind: "welcome", text: EVIL },
    { kind: "register", title: EVIL, body: EVIL, submit_label: EVIL, reward: { text: EVIL },
      questions: [{ id: EVIL, label: EVIL, multiple: false, options: [{ value: EVIL, label: EVIL }] }] },
    { kind: "chat", message: EVIL, topic: EVIL },
  ];
  for (const action of actions) {
    const html = renderPlacement({ placement: "p", campaign: `c"><b>`, interruption: false, trigger: { on: "now" }, why: EVIL, action }, OPTIONS);
    assert.doesNotMatch(html, /<script|<b>|javascript:|vbscript:|data:text|\/\/evil/i, action.kind);
    assert.match(html, /&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt;&amp;&#39;/, action.kind);
    assert.match(html, /<details class="perso-why">/, action.kind);
  }
  assert.equal(renderPlacement({ action: { kind: "hologram" } }, OPTIONS), null);
  assert.equal(escapeHtml(`a&b<c>"d'`), "a&amp;b&lt;c&gt;&quot;d&#39;");
  // The engine's URL rule decides: site paths and http(s) stay, anything else goes.
  const banner = (url) => renderPlacement({ placement: "p", campaign: "c", trigger: { on: "now" }, action: { kind: "banner", title: "t", cta: { label: "go", url } } }, OPTIONS);
  assert.match(banner("/category/audio"), /href="\/category\/audio"/);
  assert.match(banner("https://shop.example/x"), /href="https:\/\/shop\.example\/x"/);
  for (const bad of [" JavaScript:alert(1)", "//evil.example", "/\\evil.example"]) assert.doesNotMatch(banner(bad), /href=/, bad);
});

test("offer markup: code, expiry, dismiss form back to the same page; prices in the store's currency", () => {
  const offer = renderPlacement({ placement: "popup", campaign: "aff-offer", trigger: { on: "now" }, why: "w",
    action: { kind: "offer", title: "10% off", code: "GADGETS10", single_use: true, display: "toast", expires_in_s: 86400 } }, OPTIONS);
  assert.match(offer, /class="perso-offer perso-offer--toast" role="dialog" aria-label="10% off" data-perso-expires-at="86401000"/);
  assert.match(offer, /<form class="perso-dismiss" method="post" action="\/\.perso\/dismiss"><input type="hidden" name="campaign" value="aff-offer"><input type="hidden" name="return" value="\/p\?q=1">/);
  const picks = renderPlacement({ placement: "x", campaign: "c", trigger: { on: "now" },
    action: { kind: "recommend", title: "t", items: [{ sku: "A", name: "a", price: 1234.5, url: "/a" }] } }, { ...OPTIONS, locale: "de-DE", currency: "EUR" });
  assert.match(picks, /1\.234,50\s€/);
});

const KEY = "k-0123456789abcdef-0123456789abcdef";

test("the state cookie stays under its bound: the engine trims the state to the budget, dismissals kept longest", async () => {
  // 30 campaign records with 64-character ids cannot all fit a 3,800-byte cookie (the
  // engine keeps at most 32 records in a state it reads).
  const json = JSON.parse(tools.Visitor.fresh("v".repeat(64), 0).toJson());
  json.campaigns = Array.from({ length: 30 }, (_, i) => ({
    id: `campaign-${String(i).padStart(2, "0")}-${"x".repeat(51)}`, s: 1, t: 9, last_ms: 1_000 + i, clicks: 3,
    ...(i < 4 ? { dismissed_ms: 500 } : {}),
  }));
  const visitor = tools.Visitor.fromJson(JSON.stringify(json));
  const budget = stateBudget({ kid: "k", ackedMs: 1_795_600_800_000, iat: 1_795_600_800_000 });
  assert.ok(budget > 2000 && budget < 2900, `${budget} bytes of state fit the cookie`);
  assert.ok(visitor.toBytes(1 << 20).length > budget, "the whole state would not fit");
  const keys = { signing: { kid: "k", secret: KEY }, byKid: new Map([["k", KEY]]) };
  const budgets = [];
  const value = await writeStateCookie((budget) => (budgets.push(budget), visitor.toBytes(budget)), 1_795_600_800_000, keys, { nowMs: 1_795_600_800_000 });
  assert.ok(value.length <= MAX_STATE_COOKIE, `${value.length} characters`);
  assert.ok(value.length > MAX_STATE_COOKIE - 400, `${value.length} characters: the budget is used, not wasted`);
  assert.deepEqual(budgets, [budget], "one call: the budget is computed, not found by trying");
  const read = await readStateCookie(value, keys, { nowMs: 1_795_600_800_000, maxAgeS: 86_400 });
  const kept = JSON.parse(tools.Visitor.fromBytes(read.bytes).toJson()).campaigns.map((c) => c.id.slice(0, 11));
  assert.ok(kept.length < 30 && kept.length > 8, `${kept.length} records kept`);
  for (const dismissed of ["campaign-00", "campaign-01", "campaign-02", "campaign-03"]) assert.ok(kept.includes(dismissed), dismissed);
  assert.ok(kept.includes("campaign-29"), "the most recently touched record stays");
  assert.ok(!kept.includes("campaign-04"), "the least recently touched record without a dismissal goes first");
  assert.equal(await writeStateCookie(() => null, 0, keys, { nowMs: 0 }), null, "a state that cannot fit is no cookie");
  visitor.free();
});

function request(path, headers = {}) {
  return new Request(new URL(path, "https://gizmos.test"), { headers });
}

test("context from the request: page facts through the engine's page rule, plus consent, country, cart", () => {
  const req = request("/product/HP-100?utm_source=news&utm_medium=email&utm_campaign=" + "c".repeat(100) + "&x=1", {
    referer: "https://WWW.Gadgets.com/review?id=1",
    "user-agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148",
    "accept-language": "fr-CA,fr;q=0.9",
    "cf-ipcountry": "ca",
    "sec-gpc": "1",
  });
  const consent = consentOf(req.headers, "granted");
  const normalized = engine.pageContext(pageFacts(req));
  const context = requestContext(req, normalized, { consent });
  assert.deepEqual(context.page, {
    url: "https://gizmos.test/product/HP-100", path: "/product/HP-100", type: "product",
    referrer: "https://www.gadgets.com/review", referrer_host: "www.gadgets.com",
    utm: { source: "news", medium: "email", campaign: "c".repeat(64) },
  });
  assert.deepEqual(context.device, { type: "mobile", language: "fr-CA" });
  assert.deepEqual(context.custom, { country: "CA" });
  assert.deepEqual(context.consent, { gpc: true, personalization: false }, "GPC wins over a granted consent cookie, as in the browser");
  assert.equal(mayPersist(context.consent), false);
  assert.deepEqual(normalized.pageView, { referrer_host: "www.gadgets.com", utm: context.page.utm });
  assert.deepEqual(context.cart, { items: [] });

  const inside = engine.pageContext(pageFacts(request("/cart", { referer: "https://gizmos.test/" })));
  assert.equal(inside.page.referrer_host, undefined, "the store's own pages are not an entry referrer");
  assert.equal(inside.page.type, "cart");
  assert.deepEqual(inside.pageView, { utm: {} });
  // The request's client hint reaches the engine's device rule.
  assert.equal(engine.pageContext(pageFacts(request("/", { "sec-ch-ua-mobile": "?1" }))).device.type, "mobile");
  assert.equal(engine.pageContext(pageFacts(request("/", { "sec-ch-ua-mobile": "?0" }))).device.type, "desktop");
  for (const referer of ["javascript:alert(1)", "ftp://gadgets.com/", "not a url"]) {
    assert.equal(engine.pageContext(pageFacts(request("/", { referer }))).page.referrer_host, undefined, referer);
  }
});

test("the store's customer-cookie helper: mints what the worker accepts, refuses bad profiles", async () => {
  const secret = "store-secret-0123456789";
  const value = await mintCustomerCookie({ first_name: "Ada", ltv_band: "high", rfm: { score: 14 }, segments: ["vip"] }, secret, { expiresAtMs: 5_000 });
  assert.deepEqual(await readCustomerCookie(value, secret, 1_000), { customer: { known: true, first_name: "Ada", ltv_band: "high", rfm: { score: 14 }, segments: ["vip"] } });
  assert.match((await readCustomerCookie(value, secret, 6_000)).error, /expired/);
  await assert.rejects(mintCustomerCookie({}, "", { expiresAtMs: 1 }), /store secret is empty/);
  await assert.rejects(mintCustomerCookie({}, secret, {}), /expiresAtMs/);
  await assert.rejects(mintCustomerCookie({ rfm: { score: "high" } }, secret, { expiresAtMs: 5_000 }), /rfm\.score must be a number/);
  assert.deepEqual(readCookies('a=1; perso_state="v1.x.y"; perso_state=second; perso_cart=c'), { perso_state: "v1.x.y", perso_cart: "c" });
});

test("charsets: WHATWG labels, header parameters, byte order marks and <meta> as browsers read them", async () => {
  const { charsetParameter, encodingFromHeader, encodingForLabel, pageEncoding, metaCharset } = await import("../src/charset.js");
  assert.equal(charsetParameter('text/html; Charset="Shift_JIS"'), "Shift_JIS");
  assert.equal(charsetParameter("text/html"), null);
  assert.deepEqual(encodingForLabel(" CP1251 "), { name: "windows-1251", supported: true });
  assert.deepEqual(encodingForLabel("latin1"), { name: "windows-1252", supported: true });
  assert.deepEqual(encodingForLabel("csISO2022JP"), { name: "iso-2022-jp", supported: false });
  assert.equal(encodingForLabel("no-such"), null);
  assert.deepEqual(encodingFromHeader("text/html; charset=utf-16"), { unsupported: "utf-16" });
  assert.deepEqual(encodingFromHeader("text/html; charset=x-nope"), { unknown: "x-nope" });
  const bytes = (text) => Buffer.from(text, "latin1");
  assert.deepEqual(pageEncoding({ encoding: "windows-1251" }, bytes("\xef\xbb\xbf<html>")), { encoding: "utf-8" }, "a BOM wins over the header");
  assert.deepEqual(pageEncoding({}, bytes("\xff\xfe<\x00")), { unsupported: "utf-16 (byte order mark)" });
  assert.deepEqual(pageEncoding({ unknown: "x" }, bytes('<meta charset="koi8-r">')), { encoding: "koi8-r" });
  assert.deepEqual(pageEncoding({}, bytes('<meta charset="utf-16">')), { encoding: "utf-8" }, "prescan: UTF-16 means UTF-8");
  assert.deepEqual(pageEncoding({}, bytes('<meta charset="x-user-defined">')), { encoding: "windows-1252" });
  assert.deepEqual(pageEncoding({}, bytes("<p>none</p>")), { encoding: "utf-8" });
  assert.equal(metaCharset(bytes('<!-- <meta charset="big5"> --><meta http-equiv="content-type" content="text/html; charset=euc-kr">')), "euc-kr");
  assert.equal(metaCharset(bytes('<meta charset="bogus"><meta charset=gbk>')), "gbk", "unknown labels are skipped");
  assert.equal(metaCharset(bytes(`${" ".repeat(1100)}<meta charset="gbk">`)), null, "only the first 1024 bytes");
});

test("config: every binding checked, with the binding's name in the error", async () => {
  const { originConfig, workerConfig } = await import("../src/config.js");
  const keys = { PERSO_STATE_KEYS: "k1:0123456789abcdef0123456789abcdef" };
  assert.deepEqual(originConfig({ PERSO_ORIGIN: "route" }), { route: true });
  assert.equal(originConfig({ PERSO_ORIGIN: "http://localhost:3000" }).base.host, "localhost:3000");
  for (const [value, reason] of [[undefined, /PERSO_ORIGIN is not set/], ["https://o.example/x", /origin only/], ["javascript:1", /http: or https:/]]) {
    assert.throws(() => originConfig({ PERSO_ORIGIN: value }), reason);
  }
  const settings = workerConfig({ ...keys });
  assert.equal(settings.consent, "implied");
  assert.equal(settings.bundleTimeoutMs, 3000);
  assert.equal(settings.maxPageBytes, 2 * 1048576);
  assert.equal(settings.minSerial, null);
  assert.equal(settings.stateKeys.signing.kid, "k1");
  assert.equal(workerConfig({ ...keys, PERSO_MIN_SERIAL: "42" }).minSerial, 42);
  for (const [bindings, reason] of [
    [{ PERSO_MIN_SERIAL: "-1" }, /PERSO_MIN_SERIAL must be an integer/],
    [{ PERSO_MIN_SERIAL: "1e3" }, /PERSO_MIN_SERIAL/],
    [{ PERSO_BUNDLE_TIMEOUT_MS: "60000" }, /PERSO_BUNDLE_TIMEOUT_MS must be an integer from 1 to 30000/],
    [{ PERSO_MAX_PAGE_BYTES: "10" }, /PERSO_MAX_PAGE_BYTES/],
    [{ PERSO_CONSENT: "yes" }, /PERSO_CONSENT must be "implied" or "required"/],
    [{ PERSO_PAGE_TYPES: "[]" }, /PERSO_PAGE_TYPES is no longer read: page types come from the bundle/],
    [{ PERSO_STATE_KEYS: undefined }, /PERSO_STATE_KEYS is not set/],
    [{ PERSO_STATE_KEYS: "k1:short" }, /is 5 bytes; at least 32 are required/],
    [{ PERSO_STATE_KEYS: `a:${"x".repeat(32)} a:${"y".repeat(32)}` }, /kid "a" appears twice/],
    [{ PERSO_STATE_KEYS: `bad kid!:${"x".repeat(32)}` }, /has no kid|must be 1-16/],
    [{ PERSO_STATE_KEY: "x".repeat(32) }, /not both/],
  ]) {
    assert.throws(() => workerConfig({ ...keys, ...bindings }), (error) => error.code === "config" && reason.test(error.message), JSON.stringify(bindings));
  }
  const rotation = workerConfig({ PERSO_STATE_KEYS: `new:${"n".repeat(32)}  old:${"o".repeat(32)}` }).stateKeys;
  assert.deepEqual([rotation.signing.kid, [...rotation.byKid.keys()]], ["new", ["new", "old"]]);
  assert.equal(workerConfig({ PERSO_STATE_KEY: "s".repeat(32) }).stateKeys.signing.kid, "default");
});

test("the origin request: perso's device cookies out, the store's in; inserted markup is ASCII", async () => {
  const { withoutDeviceCookies } = await import("../src/origin.js");
  const { asciiHtml } = await import("../src/rewrite.js");
  assert.equal(withoutDeviceCookies("a=1; perso_state=v1.x.y; b=2;perso_client=v1.z; perso_cart=c; perso_customer=k; perso_consent=granted"), "a=1; b=2; perso_customer=k; perso_consent=granted");
  assert.equal(withoutDeviceCookies("perso_state=x; perso_client=y"), null);
  assert.equal(withoutDeviceCookies(null), null);
  assert.equal(asciiHtml("15,00\u00a0€ × 😀 <b>"), "15,00&#160;&#8364; &#215; &#128512; <b>");
});

test("capped reads: stop at the cap, hand back what was read and the rest of the stream", async () => {
  const { readAtMost, readAllWithin, resumeStream } = await import("../../js/src/kit/read-capped.js");
  const stream = () => new ReadableStream({ start(c) { for (let i = 0; i < 5; i++) c.enqueue(new Uint8Array(10).fill(i)); c.close(); } });
  const whole = await readAtMost(stream(), 50);
  assert.equal(whole.complete, true);
  assert.equal(whole.bytes.length, 50);
  const partial = await readAtMost(stream(), 25);
  assert.equal(partial.complete, false);
  assert.equal(partial.chunks.length, 3);
  const rest = new Uint8Array(await new Response(resumeStream(partial.chunks, partial.reader)).arrayBuffer());
  assert.deepEqual([...rest], [...whole.bytes], "nothing lost, nothing repeated");
  await assert.rejects(readAllWithin(stream(), 25, () => new Error("too big")), /too big/);
  assert.equal((await readAtMost(null, 10)).bytes.length, 0);
});
