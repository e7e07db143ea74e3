// The edge passes the page through, whatever happens to the rewrite (issue 9): pages
// in charsets the rewriter cannot parse, a start tag of a few MiB, markup the rewriter
// calls ambiguous, pages over the hold limit; and only slots that can show something
// take a placement and count an impression. All in workerd, behind the fixture origin.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startEdge, T0, CUSTOMER_KEY, renderedCampaign } from "./harness.js";
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
