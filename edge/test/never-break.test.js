// The edge passes the page through, whatever happens to the rewrite (issue 9): pages
// in charsets the rewriter cannot parse, a start tag of a few MiB, markup the rewriter
// calls ambiguous, pages over the hold limit; and only slots that can show something
// take a placement and count an impression; a bundle whose conditions are as costly
// as the compiler lets through. All in workerd, behind the fixture origin.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { startEdge, T0, BUNDLE_TEXT, CUSTOMER_KEY, compileBundle, renderedCampaign } from "./harness.js";
import { ADA, GADGETS_REFERER, cartCookie, statePayload } from "./helpers.js";
import { mintCustomerCookie } from "../src/customer-cookie.js";

let edge;
before(async () => {
  edge = await startEdge({ bindings: { PERSO_LOCALE: "de-DE", PERSO_CURRENCY: "EUR" } });
});
after(() => edge?.close());

const latin1 = (text) => Buffer.from(text, "latin1");
/** A store page around `paragraph` (bytes already in the page's encoding). */
function pageBytes(paragraph, { head = "", bodyEnd = "" } = {}) {
  return Buffer.concat([
    latin1(`<!doctype html><html lang="xx"><head>${head}<link rel="icon" href="data:,"><title>Shop</title></head><body>\n<p class="local">`),
    paragraph,
    latin1(`</p>\n<section data-perso-slot="hero"><h1>DEFAULT-HERO</h1></section>\n<section data-perso-slot="cross_sell"><p>DEFAULT-CROSS-SELL</p></section>\n${bodyEnd}</body></html>\n`),
  ]);
}

async function direct(path) {
  const response = await fetch(`${edge.origin.url}${path}`);
  return { headers: response.headers, body: Buffer.from(await response.arrayBuffer()) };
}

async function viaWorker(target, path, headers = {}) {
  const response = await fetch(new URL(path, target.url), {
    headers: { referer: GADGETS_REFERER, "x-test-now": String(T0), "accept-encoding": "identity", ...headers },
  });
  return { status: response.status, headers: response.headers, body: Buffer.from(await response.arrayBuffer()) };
}

async function assertUnchanged(target, path, code, label = path) {
  const worker = await viaWorker(target, path);
  const origin = await direct(path);
  assert.equal(worker.status, 200, label);
  assert.ok(worker.body.equals(origin.body), `${label}: the origin's bytes, unchanged (${worker.body.length} vs ${origin.body.length} bytes)`);
  assert.equal(worker.headers.get("content-type"), origin.headers.get("content-type"), label);
  assert.equal(worker.headers.get("cache-control"), origin.headers.get("cache-control"), label);
  assert.deepEqual(worker.headers.getSetCookie(), [], `${label}: no state cookie for a page the edge did not personalize`);
  if (code) assert.ok(target.logged(code).length >= 1, `${label}: logged ${code}: ${target.logs.slice(-3).join("\n")}`);
}

// Text in each encoding (bytes), and what it reads as.
const LOCAL = {
  "windows-1251": [Buffer.from([0xcf, 0xf0, 0xe8, 0xe2, 0xe5, 0xf2]), "Привет"],
  shift_jis: [Buffer.from([0x82, 0xb1, 0x82, 0xf1]), "こん"],
  gb18030: [Buffer.from([0xc4, 0xe3, 0xba, 0xc3]), "你好"],
  "euc-kr": [Buffer.from([0xbe, 0xc8, 0xb3, 0xe7]), "안녕"],
};
const decodeReferences = (text) => text.replace(/&#(\d+);/g, (_, code) => String.fromCodePoint(Number(code)));

test("pages in ASCII-compatible charsets (header or <meta>) are personalized and read correctly in their own encoding", async () => {
  const cart = cartCookie([{ sku: "HP-100", category: "audio", price: 199, qty: 1 }, { sku: "EB-300", category: "audio", price: 129, qty: 1 }]);
  const cases = [];
  for (const [encoding, [bytes]] of Object.entries(LOCAL)) {
    cases.push([`/cs/header-${encoding}`, { "content-type": `text/html; charset=${encoding}` }, "", encoding]);
  }
  cases.push(["/cs/header-quoted", { "content-type": 'text/html; charset="Shift_JIS"' }, "", "shift_jis"]);
  cases.push(["/cs/meta-1251", { "content-type": "text/html" }, '<meta charset="windows-1251">', "windows-1251"]);
  cases.push(["/cs/meta-equiv-sjis", { "content-type": "text/html" }, '<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">', "shift_jis"]);
  cases.push(["/cs/unknown-label", { "content-type": "text/html; charset=x-no-such-charset" }, '<meta charset="gb18030">', "gb18030"]);
  for (const [path, headers, head, encoding] of cases) {
    const [bytes, text] = LOCAL[encoding];
    edge.origin.custom.set(path, { headers, body: pageBytes(bytes, { head }) });
    const page = await viaWorker(edge, path, { cookie: `perso_cart=${cart}` });
    assert.equal(page.status, 200, path);
    const read = new TextDecoder(encoding).decode(page.body);
    assert.equal(renderedCampaign(read, "hero"), "aff-hero", path);
    assert.equal(renderedCampaign(read, "cross_sell"), "aff-cross-sell", path);
    assert.ok(page.body.includes(bytes), `${path}: the page's own bytes are not re-encoded`);
    assert.match(read, new RegExp(`<p class="local">${text}</p>`), path);
    // The inserted price reads "15,00 €" in the page's encoding (ASCII references).
    assert.match(decodeReferences(read), /Braided USB-C cable<\/span><span class="perso-recommend__price">15,00\u00a0€</, path);
  }
});

test("pages the rewriter cannot parse (UTF-16, ISO-2022-JP, replacement labels) pass through unchanged, never a 500", async () => {
  const html = pageBytes(latin1("plain")).toString("latin1");
  const cases = [
    ["/cs/iso-2022-jp", { "content-type": "text/html; charset=ISO-2022-JP" }, pageBytes(Buffer.from("1b2442242224241b2842", "hex"))],
    ["/cs/csiso2022jp", { "content-type": "text/html;charset=csISO2022JP" }, pageBytes(Buffer.from("1b2442242224241b2842", "hex"))],
    ["/cs/utf-16", { "content-type": "text/html; charset=utf-16" }, Buffer.from(html, "utf16le")],
    ["/cs/utf-16be", { "content-type": "text/html; charset=UTF-16BE" }, Buffer.from(html, "utf16le").swap16()],
    ["/cs/hz", { "content-type": "text/html; charset=hz-gb-2312" }, pageBytes(latin1("~{<:Ky2;S{#,~}"))],
    ["/cs/bom-utf16", { "content-type": "text/html" }, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(html, "utf16le")])],
    ["/cs/meta-iso-2022-jp", { "content-type": "text/html" }, pageBytes(Buffer.from("1b2442242224241b2842", "hex"), { head: '<meta charset="iso-2022-jp">' })],
  ];
  for (const [path, headers, body] of cases) {
    edge.origin.custom.set(path, { headers, body });
    await assertUnchanged(edge, path, "charset_unsupported");
  }
});

test("a start tag of a few MiB: the page over the hold limit passes through whole; under a higher limit it is personalized", async () => {
  const huge = pageBytes(latin1("x"), { bodyEnd: `<div data-note="${"A".repeat(3 * 1048576)}">after</div>\n<footer>END</footer>` });
  edge.origin.custom.set("/huge-tag", { body: huge, chunk: 65536 });
  await assertUnchanged(edge, "/huge-tag", "page_too_large");

  const roomy = await startEdge({ bindings: { PERSO_MAX_PAGE_BYTES: String(8 * 1048576) } });
  try {
    roomy.origin.custom.set("/huge-tag", { body: huge, chunk: 65536 });
    const page = await viaWorker(roomy, "/huge-tag");
    assert.equal(page.status, 200);
    const text = page.body.toString("latin1");
    assert.equal(renderedCampaign(text, "hero"), "aff-hero");
    assert.match(text, /<footer>END<\/footer>/, "the whole page, not an empty body");
    assert.ok(page.body.length > 3 * 1048576);
  } finally {
    await roomy.close();
  }
});

test("markup the rewriter refuses part-way (<select><xmp>): the origin's page, unchanged", async () => {
  edge.origin.custom.set("/ambiguous", { body: pageBytes(latin1("x"), { bodyEnd: '<form><select name="s"><xmp><b>raw</b></xmp></select></form><footer>END</footer>' }), chunk: 40 });
  await assertUnchanged(edge, "/ambiguous", "rewrite_failed");
});

test("only slots that can show something take the placement and count its impression", async () => {
  const slotsPage = (slots) =>
    latin1(`<!doctype html><html><head><link rel="icon" href="data:,"><title>t</title></head><body>\n${slots}\n</body></html>\n`);
  const customer = await mintCustomerCookie(ADA, CUSTOMER_KEY, { expiresAtMs: T0 + 3_600_000 });
  const cases = [
    ["template before the real slot", `<template><section data-perso-slot="hero">TEMPLATE</section></template><section data-perso-slot="hero">REAL</section>`, "REAL"],
    ["void elements, textarea, select first", `<img data-perso-slot="hero" src="/x.png"><input data-perso-slot="hero"><textarea data-perso-slot="hero"></textarea><select data-perso-slot="hero"><option>o</option></select><div data-perso-slot="hero">REAL</div>`, "REAL"],
    ["inside a slot just filled", `<div data-perso-slot="greeting"><section data-perso-slot="hero">INNER</section></div><section data-perso-slot="hero">REAL</section>`, "REAL"],
    ["fallback content of a video", `<video src="/v.mp4"><div data-perso-slot="hero">FALLBACK</div></video><div data-perso-slot="hero">REAL</div>`, "REAL"],
    ["no slot that can show it", `<template><section data-perso-slot="hero">T</section></template><img data-perso-slot="hero"><textarea data-perso-slot="hero">x</textarea>`, null],
  ];
  for (const [label, slots, expected] of cases) {
    const path = `/slots/${label.replace(/\W+/g, "-")}`;
    edge.origin.custom.set(path, { body: slotsPage(slots) });
    const visitor = edge.visitor();
    const page = await visitor.get(path, { at: T0, headers: { referer: GADGETS_REFERER, cookie: `perso_customer=${customer}` } });
    assert.equal(page.status, 200, label);
    const filled = [...page.text.matchAll(/<(\w+)[^>]*data-perso-slot="hero"[^>]*data-perso-rendered="aff-hero"[^>]*>([^<]*)/g)];
    const hero = statePayload(visitor.jar.get("perso_state")).state.campaigns?.find((c) => c.id === "aff-hero");
    if (expected === null) {
      assert.equal(filled.length, 0, label);
      assert.equal(hero?.s ?? 0, 0, `${label}: no impression counted for a placement nobody saw`);
      assert.match(edge.logged("slot_missing").at(-1).message, /hero/, label);
    } else {
      assert.equal(filled.length, 1, `${label}: exactly one slot filled`);
      assert.doesNotMatch(page.text, /<(img|input|textarea|select|template|video)[^>]*data-perso-rendered/, label);
      for (const untouched of ["TEMPLATE", "FALLBACK"]) if (slots.includes(untouched)) assert.ok(page.text.includes(`>${untouched}<`), `${label}: ${untouched} kept`);
      assert.ok(!page.text.includes(">REAL<"), `${label}: the real slot got the placement`);
      assert.equal(hero?.s, 1, `${label}: one impression`);
    }
  }
});

test("an origin that drops the connection mid-page: a clear 502, not an uncaught error", async () => {
  edge.origin.custom.set("/broken", { body: pageBytes(latin1("x"), { bodyEnd: "<p>".repeat(20_000) }), chunk: 4096, breakAfter: 8192 });
  const page = await viaWorker(edge, "/broken");
  assert.equal(page.status, 502);
  assert.match(page.body.toString(), /the origin's page broke off/);
  assert.ok(edge.logged("origin_body_failed").length >= 1, edge.logs.slice(-3).join("\n"));
});

// Issue 9, the costly bundle. The compiler estimates each condition's cost before it
// runs and refuses those over MAX_CONDITION_COST (100,000 units); the engine charges
// the same units while it runs, per condition and per decision (1,000,000), and
// excludes what goes over (`over_budget`) instead of running on. Two conditions that
// pass the estimate: `in` over a `cat` of 500 literal 64-byte strings (the estimate
// charges the cat's bytes once; the run charges the text it builds at every step, so
// it always goes over its 100,000 units), and map-in-map over 130 x 130 literals
// (under the estimate's limit, run to the end: twenty of them exhaust the decision's
// budget, and the campaigns after the last one that fit are excluded).
const tools = createRequire(import.meta.url)("../../pkg-node/perso.js");
const range = (n) => Array.from({ length: n }, (_, i) => i);
const NEEDLE = { in: ["needle", { cat: range(500).map((i) => (i === 499 ? "needle".padEnd(64, "z") : "abcdefghijklmnop".repeat(4))) }] };
const MAP_130 = { some: [{ map: [range(130), { map: [range(130), { "+": [{ var: "" }, 1] }] }] }, { "==": [{ var: "" }, -1] }] };

function heavyBundle() {
  const bundle = JSON.parse(BUNDLE_TEXT);
  bundle.campaigns.push({ id: "heavy-hero", placement: "hero", priority: 1000, condition: NEEDLE, action: { kind: "banner", title: "HEAVY HERO" } });
  // Banners (not interruptions, which the guardrails would stop before their conditions run).
  for (let i = 0; i < 20; i++) {
    bundle.campaigns.push({ id: `heavy-picks-${i}`, placement: "cross_sell", priority: 1000 - i, condition: MAP_130, action: { kind: "banner", title: "HEAVY PICKS" } });
  }
  return JSON.stringify(bundle);
}

test("the compiler refuses a condition estimated over the limit (perso publish's compile), naming it", () => {
  const bundle = JSON.parse(BUNDLE_TEXT);
  const MAP_30_CUBED = { some: [{ map: [range(30), { map: [range(30), { map: [range(30), { "+": [{ var: "" }, 1] }] }] }] }, { "==": [{ var: "" }, -1] }] };
  bundle.campaigns.push({ id: "too-costly", placement: "chat", condition: MAP_30_CUBED, action: { kind: "chat", message: "x" } });
  assert.throws(() => compileBundle(JSON.stringify(bundle)), (error) => {
    assert.equal(error.code, "bundle_invalid");
    assert.match(error.message, /campaigns\[11\]\.condition\.some\[0\]: costs about \d+ units of work to evaluate, over the limit of 100000/);
    return true;
  });
  const doubling = JSON.parse(BUNDLE_TEXT);
  doubling.campaigns.push({ id: "doubling", placement: "chat", condition: { "==": [{ reduce: [range(20), { cat: [{ var: "accumulator" }, { var: "accumulator" }] }, "ab"] }, "x"] }, action: { kind: "chat", message: "x" } });
  assert.throws(() => compileBundle(JSON.stringify(doubling)), /campaigns\[11\]\.condition.*over the limit of 100000/);
});

test("a bundle as costly as the compiler allows: the page comes back personalized, the costly campaigns are excluded, nothing resets", { timeout: 60_000 }, async () => {
  const source = heavyBundle();
  // What the test stands on: the costly conditions pass the compiler, and the hero's
  // would win its placement if it were allowed to run to the end (it is true).
  const bundle = compileBundle(source);
  assert.equal(tools.applyRule(NEEDLE, {}), true, "the needle condition is true when it may finish");
  const heavy = await startEdge({ bundle });
  try {
    const customer = await mintCustomerCookie(ADA, CUSTOMER_KEY, { expiresAtMs: T0 + 3_600_000 });
    const shopper = heavy.visitor({ headers: { referer: GADGETS_REFERER } });
    shopper.jar.set("perso_customer", customer);
    const before = (await (await fetch(new URL("/__test/memory", heavy.url))).json()).wasm_bytes;
    const landing = await shopper.get("/", { at: T0 });
    assert.equal(landing.status, 200);
    assert.match(landing.text, /data-perso-edge="1"/, "the edge decided for the page");
    assert.equal(renderedCampaign(landing.text, "hero"), "aff-hero", "the costly hero campaign is excluded; the next one wins");
    assert.doesNotMatch(landing.text, /HEAVY/);
    assert.equal(renderedCampaign(landing.text, "greeting"), "hv-welcome", "other placements personalized");
    assert.equal(renderedCampaign(landing.text, "popup"), "hv-free-shipping");
    const [logged] = heavy.logged("over_budget");
    assert.match(logged.message, /heavy-hero/);
    assert.match(logged.message, /heavy-picks-19\b/, "the last costly campaigns: the decision's budget ran out");
    assert.doesNotMatch(logged.message, /heavy-picks-0\b/, "the first costly campaigns ran to the end");
    const id = statePayload(shopper.jar.get("perso_state")).state.id;

    // The next page: same visitor, same session, still personalized, no reset.
    const next = await shopper.get("/category/audio", { at: T0 + 20_000 });
    assert.equal(next.status, 200);
    assert.equal(renderedCampaign(next.text, "hero"), "aff-hero");
    const state = statePayload(shopper.jar.get("perso_state")).state;
    assert.equal(state.id, id, "the visitor is not reset");
    assert.equal(state.session.pages, 2);
    assert.equal(heavy.logged("over_budget").length, 1, "logged once per isolate, not on every page");
    assert.equal(heavy.logged("decide_failed").length + heavy.logged("engine_trap").length, 0);
    const after = (await (await fetch(new URL("/__test/memory", heavy.url))).json()).wasm_bytes;
    assert.ok(after <= Math.max(before, 1) + 4 * 1048576, `the engine's memory stays bounded: ${before} -> ${after} bytes`);
  } finally {
    await heavy.close();
  }
});
