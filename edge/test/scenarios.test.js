// The three reference scenarios as real HTTP requests to the worker in workerd,
// plus the proof that no visitor ever receives another visitor's page and that the
// page streams through the worker.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import CachePolicy from "http-cache-semantics";
import { readdirSync, readFileSync } from "node:fs";
import { startEdge, T0, CUSTOMER_KEY, compileBundle, slot, renderedCampaign } from "./harness.js";
import { ADA, GADGETS_REFERER, cartCookie, clientCookie, statePayload } from "./helpers.js";
import { mintCustomerCookie } from "../src/customer-cookie.js";

let edge;
before(async () => {
  edge = await startEdge();
});
after(() => edge?.close());

const skus = (html, name) => [...slot(html, name).inner.matchAll(/data-sku="([^"]+)"/g)].map((m) => m[1]);
const own = (path) => new URL(path, edge.url).href;

test("scenario 1: affiliate from gadgets.com, on landing and on later pages via the state cookie", async () => {
  const shopper = edge.visitor();
  const landing = await shopper.get("/", { at: T0, headers: { referer: GADGETS_REFERER } });
  assert.equal(landing.status, 200);
  assert.match(landing.text, /<html lang="en" data-perso-edge="1">/);
  assert.equal(renderedCampaign(landing.text, "hero"), "aff-hero");
  assert.match(slot(landing.text, "hero").inner, /<h2 class="perso-banner__title">Welcome, Gadgets.com readers<\/h2>/);
  assert.doesNotMatch(landing.text, /DEFAULT-HERO/);
  assert.equal(renderedCampaign(landing.text, "popup"), null, "the 10% offer waits for 15 s of browsing");
  assert.match(slot(landing.text, "cross_sell").inner, /DEFAULT-CROSS-SELL/);
  assert.ok(shopper.jar.has("perso_state"));
  const landed = statePayload(shopper.jar.get("perso_state"));
  assert.equal(landed.state.session.ref_host, "gadgets.com");

  // 20 s later, an internal page: the attribution comes from the cookie, not the Referer.
  const later = await shopper.get("/category/audio", { at: T0 + 20_000, headers: { referer: own("/") } });
  assert.equal(renderedCampaign(later.text, "hero"), "aff-hero");
  assert.equal(renderedCampaign(later.text, "popup"), "aff-offer");
  assert.match(slot(later.text, "popup").inner, /10% off your next purchase/);
  // A claimed offer carries no code in the page: the runtime's Claim asks the store (docs/offers.md).
  assert.doesNotMatch(slot(later.text, "popup").inner, /<code>/);
  assert.match(slot(later.text, "popup").inner, /action="\/\.perso\/dismiss"/);
  assert.equal(statePayload(shopper.jar.get("perso_state")).state.session.pages, 2);

  // Same session, a third page: the offer (1 per session) is not repeated.
  const third = await shopper.get("/", { at: T0 + 60_000, headers: { referer: own("/category/audio") } });
  assert.equal(renderedCampaign(third.text, "hero"), "aff-hero");
  assert.equal(renderedCampaign(third.text, "popup"), null);

  // Two items in the cart: the affiliate's cross-sell, computed from the cart.
  shopper.jar.set("perso_cart", cartCookie([
    { sku: "HP-100", category: "audio", price: 199, qty: 1 },
    { sku: "EB-300", category: "audio", price: 129, qty: 1 },
  ]));
  const cart = await shopper.get("/cart", { at: T0 + 120_000, headers: { referer: own("/") } });
  assert.equal(renderedCampaign(cart.text, "cross_sell"), "aff-cross-sell");
  assert.deepEqual(skus(cart.text, "cross_sell"), ["CB-010", "CS-020", "SP-200"]);
  assert.match(slot(cart.text, "cross_sell").inner, /Braided USB-C cable<\/span><span class="perso-recommend__price">\$15\.00</);

  // Control: the same internal page without the state cookie has no attribution.
  const stranger = await edge.visitor().get("/category/audio", { at: T0 + 20_000, headers: { referer: own("/") } });
  assert.equal(renderedCampaign(stranger.text, "hero"), null);
  assert.match(stranger.text, /DEFAULT-HERO: Audio/);
});

test("scenario 2: anonymous visitor; registration answers reach the edge through the state cookie", async () => {
  const shopper = edge.visitor();
  const first = await shopper.get("/", { at: T0 });
  assert.equal(renderedCampaign(first.text, "hero"), null);
  assert.match(first.text, /DEFAULT-HERO/);
  // The registration prompt has a dwell trigger: the browser runtime's, not the edge's.
  assert.equal(renderedCampaign(first.text, "popup"), null);
  assert.doesNotMatch(first.text, /perso-register/);

  // The browser runtime showed the prompt after 3 s and the shopper answered "audio".
  shopper.jar.set("perso_client", clientCookie([
    { t: "impression", c: "anon-register", at: T0 + 4_000 },
    { t: "register", interests: ["audio"], at: T0 + 10_000 },
  ]));
  const next = await shopper.get("/", { at: T0 + 15_000, headers: { referer: own("/") } });
  assert.equal(renderedCampaign(next.text, "hero"), "interest-hero-audio");
  assert.equal(renderedCampaign(next.text, "cross_sell"), "interest-picks");
  assert.deepEqual(skus(next.text, "cross_sell"), ["HP-100", "EB-300", "SP-200"]);
  assert.equal(renderedCampaign(next.text, "popup"), null, "a registered visitor is not asked again");
  const { state, acked_ms: acked } = statePayload(shopper.jar.get("perso_state"));
  assert.deepEqual(state.interests, ["audio"]);
  assert.equal(state.registered, true);
  assert.equal(acked, T0 + 10_000);
  assert.equal(state.campaigns.find((c) => c.id === "anon-register").s, 1, "the browser's impression counts");

  // The browser leaves its events in the cookie: applying them again changes nothing.
  const again = await shopper.get("/category/audio", { at: T0 + 30_000, headers: { referer: own("/") } });
  assert.equal(renderedCampaign(again.text, "hero"), "interest-hero-audio");
  assert.equal(statePayload(shopper.jar.get("perso_state")).state.campaigns.find((c) => c.id === "anon-register").s, 1);

  // A speaker in the cart: the cross-sell follows the cart (affinity table).
  shopper.jar.set("perso_cart", cartCookie([{ sku: "SP-200", category: "audio", price: 79, qty: 1 }]));
  const withCart = await shopper.get("/cart", { at: T0 + 40_000 });
  assert.equal(renderedCampaign(withCart.text, "cross_sell"), "cart-cross-sell");
  assert.deepEqual(skus(withCart.text, "cross_sell"), ["HP-100", "CB-010", "EB-300"]);

  // Consent withdrawn: nothing from the stated interests, and the state cookie goes.
  const withdrawn = await shopper.get("/", { at: T0 + 50_000, headers: { cookie: `${shopper.cookieHeader()}; perso_consent=denied` } });
  assert.equal(renderedCampaign(withdrawn.text, "hero"), null);
  assert.ok(withdrawn.headers.getSetCookie().some((c) => /^perso_state=; .*Max-Age=0/.test(c)));
});

test("scenario 2 without JavaScript: the registration form posts to the edge", async () => {
  const shopper = edge.visitor();
  await shopper.get("/", { at: T0 });
  const body = new URLSearchParams([["interests", "wearables"], ["interests", "not-an-option"], ["return", "/category/audio"]]);
  const posted = await shopper.get("/.perso/register", {
    at: T0 + 5_000,
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: body.toString(),
  });
  assert.equal(posted.status, 303);
  assert.equal(posted.headers.get("location"), "/category/audio");
  assert.deepEqual(statePayload(shopper.jar.get("perso_state")).state.interests, ["wearables"]);
  const next = await shopper.get("/category/audio", { at: T0 + 6_000 });
  assert.equal(renderedCampaign(next.text, "hero"), "interest-hero-wearables");
});

test("scenario 3: known high-value customer from the store's signed cookie", async () => {
  const shopper = edge.visitor();
  shopper.jar.set("perso_customer", await mintCustomerCookie(ADA, CUSTOMER_KEY, { expiresAtMs: T0 + 3_600_000 }));
  const landing = await shopper.get("/", { at: T0 });
  assert.equal(renderedCampaign(landing.text, "greeting"), "hv-welcome");
  assert.match(slot(landing.text, "greeting").inner, /<p class="perso-welcome">Welcome back, Ada!<\/p>/);
  assert.equal(renderedCampaign(landing.text, "popup"), "hv-free-shipping");
  assert.match(slot(landing.text, "popup").inner, /Free shipping on your next purchase over \$100/);
  assert.doesNotMatch(slot(landing.text, "popup").inner, /<code>/, "no code anyone could read: a claim");
  assert.equal(renderedCampaign(landing.text, "chat"), null, "no cart, no chat");

  // An item in the cart: the cross-sell follows it. The live chat answers the shopper's
  // own add to cart (trigger add_to_cart), which happens in the browser: the edge never
  // draws it into a page, the runtime shows it at the add (js/test/scenarios.test.mjs).
  shopper.jar.set("perso_cart", cartCookie([{ sku: "HP-100", category: "audio", price: 199, qty: 1 }]));
  const soon = await shopper.get("/cart", { at: T0 + 10_000 });
  assert.equal(renderedCampaign(soon.text, "cross_sell"), "cart-cross-sell");
  assert.equal(renderedCampaign(soon.text, "chat"), null);
  const after = await shopper.get("/cart", { at: T0 + 45_000 });
  assert.equal(renderedCampaign(after.text, "chat"), null, "a chat that answers an add to cart is not drawn by the edge");
  assert.equal(renderedCampaign(after.text, "popup"), null, "the free-shipping offer is not repeated");
});

test("a customer's name is inserted as text, never as HTML", async () => {
  const shopper = edge.visitor();
  const hostile = { ...ADA, first_name: '<img src=x onerror="alert(1)">' };
  shopper.jar.set("perso_customer", await mintCustomerCookie(hostile, CUSTOMER_KEY, { expiresAtMs: T0 + 3_600_000 }));
  const page = await shopper.get("/", { at: T0 });
  assert.match(slot(page.text, "greeting").inner, /Welcome back, &lt;img src=x onerror=&quot;alert\(1\)&quot;&gt;!/);
  assert.doesNotMatch(page.text, /<img src=x/);
});

test("two visitors never see each other's content, and no shared cache may store either page", async () => {
  const affiliate = edge.visitor({ headers: { referer: GADGETS_REFERER } });
  const customer = edge.visitor();
  customer.jar.set("perso_customer", await mintCustomerCookie(ADA, CUSTOMER_KEY, { expiresAtMs: T0 + 3_600_000 }));
  const ids = new Set();
  for (let round = 0; round < 4; round++) {
    for (const [who, visitor] of [["affiliate", affiliate], ["customer", customer]]) {
      const page = await visitor.get("/", { at: T0 + round * 1000 });
      const mine = who === "affiliate" ? /Gadgets\.com readers/ : /Welcome back, Ada!/;
      const theirs = who === "affiliate" ? /Ada|SHIPFREE100|hv-/ : /Gadgets\.com|aff-/;
      assert.match(page.text, mine, `${who}, round ${round}`);
      assert.doesNotMatch(page.text, theirs, `${who}, round ${round}`);
      assert.equal(page.headers.get("cache-control"), "private, no-cache");
      assert.match(page.headers.get("vary"), /\bCookie\b/);
      assert.equal(page.headers.get("etag"), null);
      assert.equal(page.headers.get("last-modified"), null);
      const policy = new CachePolicy(
        { url: "/", method: "GET", headers: { cookie: visitor.cookieHeader() } },
        { status: page.status, headers: Object.fromEntries(page.headers) },
        { shared: true },
      );
      assert.equal(policy.storable(), false, "a shared cache must not store a personalized page");
      ids.add(statePayload(visitor.jar.get("perso_state")).state.id);
    }
  }
  assert.equal(ids.size, 2, "each visitor keeps one id of their own");

  // The origin's own page is storable by a shared cache: the check above can fail.
  const direct = await fetch(`${edge.origin.url}/`);
  const originPolicy = new CachePolicy({ url: "/", method: "GET", headers: {} }, { status: 200, headers: Object.fromEntries(direct.headers) }, { shared: true });
  assert.equal(originPolicy.storable(), true);
});

test("a page over PERSO_MAX_PAGE_BYTES is not held: it streams through unchanged before the origin has sent the rest", { timeout: 15_000 }, async () => {
  const small = await startEdge({ bindings: { PERSO_MAX_PAGE_BYTES: "4096" } });
  try {
    const response = await fetch(new URL("/gated?pad=8000", small.url), {
      headers: { referer: GADGETS_REFERER, "accept-encoding": "identity", "x-test-now": String(T0) },
    });
    assert.equal(response.status, 200);
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let received = "";
    while (!received.includes('data-perso-slot="hero"')) {
      const { value, done } = await reader.read();
      assert.ok(!done, "the page ended early");
      received += decoder.decode(value, { stream: true });
    }
    assert.doesNotMatch(received, /<footer>/, "the origin has not sent the end of the page yet");
    small.origin.releaseGate();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      received += decoder.decode(value, { stream: true });
    }
    const direct = await fetch(`${small.origin.url}/gated?pad=8000`).then((r) => r.text());
    assert.equal(received, direct, "the origin's page, unchanged");
    assert.doesNotMatch(received, /data-perso-edge/);
    assert.deepEqual(response.headers.getSetCookie(), []);
    assert.equal(small.logged("page_too_large").length, 1);
  } finally {
    await small.close();
  }
});

test("every shared scenario vector file decides identically inside the worker", async () => {
  const dir = new URL("../../tests/vectors/", import.meta.url);
  const files = readdirSync(dir).filter((name) => name.endsWith(".json"));
  assert.ok(files.length >= 1);
  let checked = 0;
  for (const file of files) {
    const vectorsText = readFileSync(new URL(file, dir), "utf8");
    const vectors = JSON.parse(vectorsText);
    if (!Array.isArray(vectors.scenarios)) continue; // claims.json: the checkout's vectors (js/server, perso-claims)
    const bundleText = readFileSync(new URL(`../../${vectors.bundle}`, import.meta.url), "utf8");
    // Each file names its bundle: a worker of its own, with that bundle compiled and signed.
    const own = file === "gizmos.json" ? edge : await startEdge({ bundle: compileBundle(bundleText), vectorsText });
    try {
      const results = await (await fetch(new URL("/__test/vectors", own.url))).json();
      const expected = vectors.scenarios.flatMap((scenario) =>
        scenario.steps.filter((step) => "decide" in step && "decision" in step).map((step) => ({ scenario: scenario.name, label: step.label, decision: step.decision })),
      );
      const decided = results.filter((result) => expected.some((e) => e.scenario === result.scenario && e.label === result.label));
      assert.equal(decided.length, expected.length, file);
      for (const [index, result] of decided.entries()) {
        assert.deepStrictEqual(result.decision, expected[index].decision, `${file}: ${result.scenario} / ${result.label}`);
        checked++;
      }
    } finally {
      if (own !== edge) await own.close();
    }
  }
  assert.ok(checked >= 10, `${checked} decisions checked`);
});

test("every page-context vector: the worker's context for the request gives the page exactly", async () => {
  const vectors = JSON.parse(readFileSync(new URL("../../tests/vectors/page-context.json", import.meta.url), "utf8"));
  const origin = new URL(edge.url).origin;
  const at = (value) => JSON.parse(JSON.stringify(value).replaceAll("{origin}", origin));
  for (const vector of vectors.cases) {
    const headers = { "x-test-page-context": "1", "user-agent": vectors.user_agent, "accept-language": "en-GB,en;q=0.9" };
    if (vector.referrer !== null) headers.referer = at(vector.referrer);
    const response = await fetch(new URL(vector.path, edge.url), { headers });
    assert.equal(response.status, 200, vector.name);
    assert.deepEqual(await response.json(), at(vector.page), vector.name);
  }
});

test("the production entry (src/edge-entry.js) personalizes with the real clock", async () => {
  const production = await startEdge({ entry: "../src/edge-entry.js" });
  try {
    const page = await production.visitor().get("/", { headers: { referer: GADGETS_REFERER } });
    assert.equal(renderedCampaign(page.text, "hero"), "aff-hero");
    assert.equal((await fetch(new URL("/__test/vectors", production.url))).status, 404, "no test routes in production");
  } finally {
    await production.close();
  }
});

test("the rewritten page does not depend on how the origin's bytes are chunked", async () => {
  const customerCookie = await mintCustomerCookie(ADA, CUSTOMER_KEY, { expiresAtMs: T0 + 3_600_000 });
  const request = (headers) =>
    fetch(new URL("/", edge.url), {
      headers: { referer: GADGETS_REFERER, cookie: `perso_customer=${customerCookie}`, "accept-encoding": "identity", "x-test-now": String(T0 + 20_000), ...headers },
    }).then((response) => response.text());
  const whole = await request({});
  assert.equal(renderedCampaign(whole, "greeting"), "hv-welcome");
  for (const seed of [1, 7, 42, 1234, 99991]) {
    assert.equal(await request({ "x-chunk-seed": String(seed) }), whole, `chunk seed ${seed}`);
  }
});
