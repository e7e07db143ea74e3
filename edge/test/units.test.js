// Unit tests of the worker's pure modules, run in Node (the same WebCrypto and URL
// APIs as workerd): markup escaping, signed values, the state cookie's size bound,
// the context built from a request, browser events. The end-to-end behaviour is
// proven in workerd by scenarios.test.js and robustness.test.js.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { renderPlacement, safeUrl, escapeHtml } from "../src/slot-markup.js";
import { signValue, verifyValue, readUnsignedValue } from "../src/signed-value.js";
import { readStateCookie, writeStateCookie, MAX_STATE_COOKIE } from "../src/state-cookie.js";
import { shrinkVisitorState } from "../src/state-shape.js";
import { contextFromRequest, consentOf, mayPersist, pageTypeTable } from "../src/request-context.js";
import { deviceType } from "../src/device.js";
import { readClientEvents, applyClientEvents } from "../src/client-events.js";
import { mintCustomerCookie, readCustomerCookie } from "../src/customer-cookie.js";
import { readCookies } from "../src/cookie-jar.js";
import { clientCookie } from "./helpers.js";

const perso = createRequire(import.meta.url)("../../pkg-node/perso.js");
const bundle = readFileSync(new URL("../../www/bundle.json", import.meta.url), "utf8");
const OPTIONS = { nowMs: 1_000, returnPath: "/p?q=1", actionPath: "/.perso/", locale: "en-US", currency: "USD" };
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
  assert.equal(safeUrl("/category/audio"), "/category/audio");
  assert.equal(safeUrl("https://shop.example/x"), "https://shop.example/x");
  assert.equal(safeUrl(" JavaScript:alert(1)"), null);
  assert.equal(safeUrl("//evil.example"), null);
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

test("signed values: round trip; tampering, another key, another cookie name and bad shapes are refused", async () => {
  const value = await signValue("perso_state", { a: 1 }, "k1-0123456789abcdef");
  assert.deepEqual(await verifyValue("perso_state", value, "k1-0123456789abcdef", 3800), { value: { a: 1 } });
  const [v, payload, mac] = value.split(".");
  const tampered = `${v}.${Buffer.from('{"a":2}').toString("base64url")}.${mac}`;
  assert.match((await verifyValue("perso_state", tampered, "k1-0123456789abcdef", 3800)).error, /MAC does not match/);
  assert.match((await verifyValue("perso_state", value, "k2-0123456789abcdef", 3800)).error, /MAC does not match/);
  assert.match((await verifyValue("perso_customer", value, "k1-0123456789abcdef", 3800)).error, /MAC does not match/);
  assert.match((await verifyValue("perso_state", value, "k1-0123456789abcdef", 10)).error, /over the 10 limit/);
  assert.match((await verifyValue("perso_state", `v2.${payload}.${mac}`, "k1-0123456789abcdef", 3800)).error, /unsupported version/);
  assert.match((await verifyValue("perso_state", `${v}.${payload}`, "k1-0123456789abcdef", 3800)).error, /expected v1/);
  assert.match(readUnsignedValue("perso_cart", "v1.%%%", 100).error, /not base64url JSON/);
});

const KEY = "k-0123456789abcdef-0123456789abcdef";

test("the state cookie stays under its bound and keeps dismissals longest", async () => {
  let state = perso.newVisitorState("v".repeat(64), 0);
  const engine = perso.Engine.fromBundle(bundle);
  // 32 campaign records with 64-character ids cannot all fit a 3,800-byte cookie.
  state = { ...state, campaigns: Array.from({ length: 32 }, (_, i) => ({
    id: `campaign-${String(i).padStart(2, "0")}-${"x".repeat(51)}`, s: 1, t: 9, last_ms: 1_000 + i, clicks: 3,
    ...(i < 4 ? { dismissed_ms: 500 } : {}),
  })) };
  const keys = { signing: { kid: "k", secret: KEY }, byKid: new Map([["k", KEY]]) };
  const value = await writeStateCookie(state, 0, keys, { nowMs: 2_000, shrink: shrinkVisitorState });
  assert.ok(value.length <= MAX_STATE_COOKIE, `${value.length} bytes`);
  const read = await readStateCookie(value, keys, { nowMs: 2_000, maxAgeS: 86_400, readState: (p) => perso.parseVisitorState(JSON.stringify(p)) });
  const kept = read.state.campaigns.map((c) => c.id.slice(0, 11));
  assert.ok(kept.length < 32 && kept.length > 8, `${kept.length} records kept`);
  for (const dismissed of ["campaign-00", "campaign-01", "campaign-02", "campaign-03"]) assert.ok(kept.includes(dismissed), dismissed);
  assert.ok(kept.includes("campaign-31"), "the most recently touched record stays");
  assert.ok(!kept.includes("campaign-04"), "the least recently touched record without a dismissal goes first");
  engine.free();
});

function request(path, headers = {}) {
  const url = new URL(path, "https://gizmos.test");
  return { request: new Request(url, { headers }), url };
}

test("context from the request: referrer, UTM, page type, device, language, country, consent", () => {
  const { request: req, url } = request("/product/HP-100?utm_source=news&utm_medium=email&utm_campaign=" + "c".repeat(100) + "&x=1", {
    referer: "https://WWW.Gadgets.com/review?id=1",
    "user-agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148",
    "accept-language": "fr-CA,fr;q=0.9",
    "cf-ipcountry": "ca",
    "sec-gpc": "1",
  });
  const consent = consentOf(req.headers, "granted");
  const { context, pageView } = contextFromRequest(req, url, { consent, pageTypes: pageTypeTable(undefined) });
  assert.deepEqual(context.page, {
    url: "https://gizmos.test/product/HP-100", path: "/product/HP-100", type: "product",
    referrer: "https://WWW.Gadgets.com/review?id=1", referrer_host: "www.gadgets.com",
    utm: { source: "news", medium: "email", campaign: "c".repeat(64) },
  });
  assert.deepEqual(context.device, { type: "mobile", language: "fr-CA" });
  assert.deepEqual(context.custom, { country: "CA" });
  assert.deepEqual(context.consent, { gpc: true, personalization: false }, "GPC wins over a granted consent cookie, as in the browser");
  assert.equal(mayPersist(context.consent), false);
  assert.deepEqual(pageView, { referrer_host: "www.gadgets.com", utm: context.page.utm });
  assert.deepEqual(context.cart, { items: [] });

  const internal = request("/cart", { referer: "https://gizmos.test/" });
  const inside = contextFromRequest(internal.request, internal.url, { consent: {}, pageTypes: pageTypeTable(undefined) });
  assert.equal(inside.context.page.referrer_host, undefined, "the store's own pages are not an entry referrer");
  assert.equal(inside.context.page.type, "cart");
  assert.deepEqual(inside.pageView, {});
  assert.equal(pageTypeTable('[["/p/","product"]]')[0][1], "product");
  assert.throws(() => pageTypeTable('{"a":1}'), /PERSO_PAGE_TYPES must be a JSON array/);
});

test("device type from client hints and user agents", () => {
  const of = (headers) => deviceType(new Headers(headers));
  assert.equal(of({ "user-agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/126" }), "desktop");
  assert.equal(of({ "user-agent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile Safari/537.36" }), "mobile");
  assert.equal(of({ "user-agent": "Mozilla/5.0 (Linux; Android 13; SM-X710) Safari/537.36" }), "tablet");
  assert.equal(of({ "user-agent": "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X)" }), "tablet");
  assert.equal(of({ "sec-ch-ua-mobile": "?1" }), "mobile");
  assert.equal(of({ "sec-ch-ua-mobile": "?0" }), "desktop");
  assert.equal(of({}), undefined);
});

test("browser events: only known campaigns, in time order, applied once (watermark)", () => {
  const campaigns = new Set(["aff-offer", "anon-register"]);
  const text = clientCookie([
    { t: "register", interests: ["audio", 7, "x".repeat(100)], at: 30 },
    { t: "dismiss", c: "aff-offer", at: 20 },
    { t: "dismiss", c: "unknown", at: 10 },
    { t: "teleport", c: "aff-offer", at: 5 },
    { t: "impression", c: "anon-register", at: "soon" },
  ]);
  const { events } = readClientEvents(text, campaigns);
  assert.deepEqual(events, [{ t: "dismiss", c: "aff-offer", at: 20 }, { t: "register", interests: ["audio"], at: 30 }]);

  const engine = perso.Engine.fromBundle(bundle);
  const start = perso.newVisitorState("v", 0);
  const apply = (state, event, at) =>
    event.t === "dismiss" ? engine.recordDismissal(state, event.c, at) : event.t === "register" ? perso.register(state, event.interests, at) : engine.recordImpression(state, event.c, at);
  const once = applyClientEvents(events, start, 0, 25, apply);
  assert.equal(once.ackedMs, 25, "the watermark never passes the request's clock");
  assert.equal(once.state.campaigns.find((c) => c.id === "aff-offer").dismissed_ms, 20);
  assert.equal(once.state.registered, true);
  const twice = applyClientEvents(events, once.state, 30, 40, apply);
  assert.deepEqual(twice, { state: once.state, ackedMs: 30 }, "events at or before acked_ms are not applied again");
  engine.free();
  assert.match(readClientEvents("v1.e30", campaigns).error, /events must be an array/);
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
    [{ PERSO_PAGE_TYPES: "[" }, /PERSO_PAGE_TYPES is not JSON/],
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
  const { readAtMost, readAllWithin, resumeStream } = await import("../src/read-capped.js");
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
