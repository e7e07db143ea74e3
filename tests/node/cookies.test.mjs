// The cookie contract both JS hosts share (js/src/kit/cookies.js, docs/edge-deploy.md
// §1.3): encodings, signed and unsigned values, the state cookie's payload and byte
// budget, the browser's events and cart. Written by one host and read by the other
// through their own modules: the edge's state-cookie.js signs, the browser's
// edge-handoff.js reads; the browser's reportToEdge/shareCart write, the kit's
// readers (what the edge calls) read.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  COOKIE, COOKIE_LIMITS, appendClientEvent, cartValue, cookieValue, decodeBase64Url, decodeJsonBase64Url, encodeBase64Url,
  encodeJsonBase64Url, peekStateCookie, readCart, readClientEvents, readCookies, readStatePayload, readUnsignedValue, signValue,
  stateBudget, statePayload, unsignedValue, verifyKeyedValue, verifyValue,
} from "../../js/src/kit/cookies.js";
import { readEdgeState, reportToEdge, shareCart } from "../../js/src/edge-handoff.js";
import { readStateCookie, writeStateCookie } from "../../edge/src/state-cookie.js";
import { kit, gizmos } from "./support.mjs";

const SECRET = "k1-0123456789abcdef-0123456789abcdef";
const KEYS = { signing: { kid: "k1", secret: SECRET }, byKid: new Map([["k1", SECRET]]) };
const NOW = 1_795_600_800_000;

/** Just enough of `document.cookie` (name=value pairs; attributes dropped) for the hand-off functions. */
function cookieJar(initial = {}) {
  const jar = new Map(Object.entries(initial));
  return {
    doc: {
      get cookie() {
        return [...jar].map(([name, value]) => `${name}=${value}`).join("; ");
      },
      set cookie(line) {
        const pair = line.split(";")[0];
        const eq = pair.indexOf("=");
        jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
      },
    },
    win: { location: { protocol: "https:" } },
    jar,
  };
}

test("base64url: round trip of every byte, no padding, bad text refused", () => {
  const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
  const text = encodeBase64Url(bytes);
  assert.match(text, /^[A-Za-z0-9_-]+$/);
  assert.deepEqual(decodeBase64Url(text), bytes);
  assert.equal(text, Buffer.from(bytes).toString("base64url"), "what every standard library writes");
  for (const bad of ["a", "ab=", "a+b/", "é", null]) assert.equal(decodeBase64Url(bad), null, String(bad));
  assert.deepEqual(decodeJsonBase64Url(encodeJsonBase64Url({ a: ["é", 1] })), { a: ["é", 1] });
  assert.equal(decodeJsonBase64Url(encodeBase64Url(new Uint8Array([0xff, 0xfe]))), null, "not UTF-8");
  assert.equal(decodeJsonBase64Url(encodeBase64Url(new TextEncoder().encode("{"))), null, "not JSON");
});

test("reading the Cookie header: first occurrence wins, quotes dropped, only perso's names", () => {
  assert.deepEqual(readCookies('a=1; perso_state="v1.x.y"; perso_state=second; perso_cart=c'), { perso_state: "v1.x.y", perso_cart: "c" });
  assert.equal(cookieValue("x=1; perso_client=v1.abc", COOKIE.client), "v1.abc");
  assert.equal(cookieValue("", COOKIE.client), undefined);
});

test("signed values: round trip; tampering, another key, another cookie name and bad shapes are refused", async () => {
  const value = await signValue(COOKIE.state, { a: 1 }, SECRET);
  assert.deepEqual(await verifyValue(COOKIE.state, value, SECRET, 3800), { value: { a: 1 } });
  const [v, payload, mac] = value.split(".");
  assert.equal(mac.length, 43);
  const tampered = `${v}.${encodeJsonBase64Url({ a: 2 })}.${mac}`;
  assert.match((await verifyValue(COOKIE.state, tampered, SECRET, 3800)).error, /MAC does not match/);
  assert.match((await verifyValue(COOKIE.state, value, `${SECRET}x`, 3800)).error, /MAC does not match/);
  assert.match((await verifyValue(COOKIE.customer, value, SECRET, 3800)).error, /MAC does not match/, "bound to its cookie name");
  assert.match((await verifyValue(COOKIE.state, value, SECRET, 10)).error, /over the 10 limit/);
  assert.match((await verifyValue(COOKIE.state, `v2.${payload}.${mac}`, SECRET, 3800)).error, /unsupported version/);
  assert.match((await verifyValue(COOKIE.state, `${v}.${payload}`, SECRET, 3800)).error, /expected v1/);
  assert.match((await verifyValue(COOKIE.state, `${v}.${payload}.short`, SECRET, 3800)).error, /malformed MAC/);
  // Keyed: the payload's kid picks the secret.
  const keyed = await signValue(COOKIE.state, { kid: "k1", n: 1 }, SECRET);
  assert.deepEqual(await verifyKeyedValue(COOKIE.state, keyed, KEYS.byKid, 3800), { value: { kid: "k1", n: 1 }, kid: "k1" });
  assert.match((await verifyKeyedValue(COOKIE.state, keyed, new Map([["k2", SECRET]]), 3800)).error, /key id "k1", which is not configured/);
  assert.match((await verifyKeyedValue(COOKIE.state, value, KEYS.byKid, 3800)).error, /no key id/);
  assert.match(readUnsignedValue(COOKIE.cart, "v1.%%%", 100).error, /not base64url JSON/);
  assert.match(readUnsignedValue(COOKIE.cart, "v2.e30", 100).error, /expected v1/);
});

test("the state cookie: the edge signs the engine's compact state, the browser reads the same bytes and watermark", async () => {
  const engine = kit.loadBundle(gizmos());
  const visitor = kit.freshVisitor("0f8e4c1a-9d2b-4e6f-8a3c-5b7d9e1f2a4c", NOW);
  engine.pageView(visitor, { referrer_host: "gadgets.com", utm: {} }, NOW);
  engine.recordImpression(visitor, "aff-hero", NOW);
  const value = await writeStateCookie((budget) => visitor.toBytes(budget), NOW - 5, KEYS, { nowMs: NOW });
  assert.ok(value.length < 400, `${value.length} characters for a one-page visitor`);
  const { doc } = cookieJar({ [COOKIE.state]: value });
  const read = readEdgeState(doc);
  assert.deepEqual(read, { bytes: visitor.toBytes(4096), ackedMs: NOW - 5 }, "the browser reads what the edge wrote");
  const payload = decodeJsonBase64Url(value.split(".")[1]);
  assert.deepEqual(Object.keys(payload), ["s", "acked_ms", "kid", "iat"]);
  assert.deepEqual([payload.kid, payload.iat], ["k1", NOW]);
  // The edge reads it back (MAC, age) to the same bytes.
  const back = await readStateCookie(value, KEYS, { nowMs: NOW + 1000, maxAgeS: 86_400 });
  assert.deepEqual(back.bytes, read.bytes);
  assert.equal(back.ackedMs, NOW - 5);
  // And the engine takes them as the same visitor.
  const same = kit.visitorFromBytes(back.bytes);
  assert.deepEqual(same.toBytes(), visitor.toBytes());
  for (const bad of [undefined, "v1.x", "v9.a.b", `v1.${encodeJsonBase64Url({ s: 3, acked_ms: 0, iat: 0 })}.${"A".repeat(43)}`]) {
    assert.equal(readEdgeState(cookieJar(bad === undefined ? {} : { [COOKIE.state]: bad }).doc), null, String(bad));
  }
  assert.match(readStatePayload({ s: "AQ", acked_ms: "0", iat: 1 }).error, /acked_ms/);
  assert.match(readStatePayload({ s: "AQ", acked_ms: 0 }).error, /iat/);
  same.free();
  visitor.free();
  engine.free();
});

test("the state's byte budget is exact: a state of that size fits the cookie, a few bytes more would not", async () => {
  for (const [kid, ackedMs] of [["k1", 0], ["a-long-key-id-16", NOW], ["default", 1.5e15]]) {
    const budget = stateBudget({ kid, ackedMs, iat: NOW });
    const value = (n) => signValue(COOKIE.state, statePayload({ bytes: new Uint8Array(n).fill(0xff), ackedMs, kid, iat: NOW }), SECRET);
    const fits = await value(budget);
    assert.ok(fits.length <= COOKIE_LIMITS.MAX_STATE_COOKIE, `${kid}: ${fits.length} characters`);
    assert.ok((await value(budget + 3)).length > COOKIE_LIMITS.MAX_STATE_COOKIE, `${kid}: the budget wastes at most 2 bytes`);
  }
});

test("the browser's events: written by reportToEdge, read by the edge's reader; acked ones dropped, bounded", () => {
  const { doc, win, jar } = cookieJar();
  reportToEdge(doc, win, { t: "impression", c: "anon-register", at: 100 }, 0);
  reportToEdge(doc, win, { t: "register", interests: ["audio"], at: 200 }, 0);
  assert.deepEqual(readClientEvents(jar.get(COOKIE.client)).events, [
    { t: "impression", c: "anon-register", at: 100 },
    { t: "register", interests: ["audio"], at: 200 },
  ]);
  // The edge acknowledged up to 150: the next write drops what it already applied.
  reportToEdge(doc, win, { t: "dismiss", c: "aff-offer", at: 300 }, 150);
  assert.deepEqual(readClientEvents(jar.get(COOKIE.client)).events.map((e) => e.at), [200, 300]);
  // At most 16 events, and the cookie's length.
  for (let i = 0; i < 40; i++) reportToEdge(doc, win, { t: "click", c: `campaign-${"x".repeat(50)}-${i}`, at: 1000 + i }, 0);
  const events = readClientEvents(jar.get(COOKIE.client)).events;
  assert.ok(events.length <= COOKIE_LIMITS.MAX_CLIENT_EVENTS && events.length > 4, `${events.length} events kept`);
  assert.ok(jar.get(COOKIE.client).length <= COOKIE_LIMITS.MAX_CLIENT_COOKIE);
  assert.equal(events.at(-1).at, 1039, "the newest is kept");

  const odd = unsignedValue({ events: [
    { t: "register", interests: ["audio", 7, "x".repeat(100)], at: 30 },
    { t: "dismiss", c: "aff-offer", at: 20 },
    { t: "teleport", c: "aff-offer", at: 5 },
    { t: "impression", c: "anon-register", at: "soon" },
    { t: "click", c: "", at: 1 },
    { t: "click", c: "aff-hero", at: Infinity },
  ] });
  assert.deepEqual(readClientEvents(odd).events, [{ t: "dismiss", c: "aff-offer", at: 20 }, { t: "register", interests: ["audio"], at: 30 }]);
  assert.match(readClientEvents("v1.e30").error, /events must be an array/);
  assert.match(readClientEvents(unsignedValue({ events: Array.from({ length: 17 }, (_, i) => ({ t: "click", c: "a", at: i })) })).error, /over the 16 limit/);
  // A bad cookie does not stop the browser from reporting: it starts a new list.
  const broken = cookieJar({ [COOKIE.client]: "v1.!!" });
  reportToEdge(broken.doc, broken.win, { t: "click", c: "aff-hero", at: 5 }, 0);
  assert.deepEqual(readClientEvents(broken.jar.get(COOKIE.client)).events, [{ t: "click", c: "aff-hero", at: 5 }]);
  assert.equal(appendClientEvent(undefined, { t: "click", c: "a", at: 1 }, 0), unsignedValue({ events: [{ t: "click", c: "a", at: 1 }] }));
});

test("the cart: written by shareCart, read by the edge's reader; bounded; bad lines named", () => {
  const { doc, win, jar } = cookieJar();
  shareCart(doc, win, [{ sku: "HP-100", category: "audio", price: 199, qty: 1, name: "not shared" }, { sku: "CB-010", qty: 2 }]);
  assert.deepEqual(readCart(jar.get(COOKIE.cart)), { cart: { items: [{ sku: "HP-100", category: "audio", price: 199, qty: 1 }, { sku: "CB-010", qty: 2 }] } });
  const many = Array.from({ length: 30 }, (_, i) => ({ sku: `SKU-${i}-${"y".repeat(50)}`, category: "c".repeat(60), price: 1, qty: 1 }));
  const value = cartValue(many);
  assert.ok(value.length <= COOKIE_LIMITS.MAX_CART_COOKIE);
  const read = readCart(value).cart.items;
  assert.ok(read.length > 5 && read.length <= COOKIE_LIMITS.MAX_CART_ITEMS, `${read.length} lines`);
  assert.equal(read[0].sku, many[0].sku, "the first lines are kept");
  for (const [items, reason] of [
    [[{ qty: 2 }], /items\[0\]\.sku must be text/],
    [[{ sku: "A", price: -1 }], /price must be a number >= 0/],
    [[{ sku: "A", qty: 1.5 }], /qty must be an integer 1-999/],
    [[{ sku: "A", category: 3 }], /category must be text/],
  ]) {
    assert.match(readCart(unsignedValue({ items })).error, reason);
  }
  assert.match(readCart(unsignedValue({ items: Array.from({ length: 21 }, () => ({ sku: "A" })) })).error, /over the 20 limit/);
});
