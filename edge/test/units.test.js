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
