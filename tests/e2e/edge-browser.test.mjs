// The whole chain a store runs with both hosts: real headless Chromium → perso's edge
// worker in real workerd (Miniflare) → the demo storefront (js/serve.mjs) as origin.
// Proves the hand-off contract (docs/edge-deploy.md §1): the browser runtime adopts
// what the edge rendered (same visitor and state, no second page view, no re-render),
// and what happens in the browser — registration answers, a dismissal, the cart —
// reaches the edge's decision on the next page.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { launchBrowser } from "../../js/test/helpers.mjs";
import { startServer } from "../../js/serve.mjs";
import { startEdgeWorker } from "./edge-worker.mjs";
import { decodeBase64, peekStateCookie } from "../../js/src/kit/index.js";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const shots = `${repo}test-output/e2e/`;
const tools = createRequire(import.meta.url)("../../pkg-node/perso.js");
let demo, mf, edgeUrl, browser;

before(async () => {
  demo = await startServer({ port: 0 });
  // The compiled bundle and its signature as the demo store publishes them.
  ({ mf, url: edgeUrl } = await startEdgeWorker(demo));
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await mf?.dispose();
  await demo?.close();
});

const decoded = (value) => JSON.parse(Buffer.from(value.split(".")[1], "base64url").toString());
/** A compact visitor state's JSON form (the tools build), for assertions. */
function stateJson(bytes) {
  const visitor = tools.Visitor.fromBytes(bytes);
  try {
    return JSON.parse(visitor.toJson());
  } finally {
    visitor.free();
  }
}
/** The state the edge signed, as the browser runtime reads it (kit/cookies.js), in JSON form; and the payload. */
function edgeState(value) {
  const peeked = peekStateCookie(value);
  return { ...decoded(value), state: stateJson(peeked.bytes) };
}

async function cookies(context) {
  return Object.fromEntries((await context.cookies()).map((c) => [c.name, c.value]));
}

async function decided(page) {
  await page.waitForFunction(() => performance.getEntriesByName("perso:first-decision").length > 0, null, { timeout: 15_000 });
}

function slotInfo(page, name) {
  return page.evaluate((placement) => {
    const slot = document.querySelector(`[data-perso-slot="${placement}"]`);
    return { rendered: slot?.getAttribute("data-perso-rendered") ?? null, text: slot?.textContent.replace(/\s+/g, " ").trim() ?? "",
      rerendered: Boolean(slot?.shadowRoot), adopted: slot?.hasAttribute("data-perso-decided") ?? false };
  }, name);
}

test("the browser runtime adopts the edge's page: same visitor, no second page view, no re-render", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const impressions = [];
  await page.exposeFunction("recordImpression", (detail) => impressions.push(detail));
  await page.addInitScript(() => document.addEventListener("perso:impression", (e) => window.recordImpression(e.detail)));
  await page.goto(`${edgeUrl}/`, { referer: "https://gadgets.com/reviews/headphones" });
  await decided(page);
  assert.ok(await page.evaluate(() => document.documentElement.hasAttribute("data-perso-edge")));
  const hero = await slotInfo(page, "hero");
  assert.equal(hero.rendered, "aff-hero");
  assert.match(hero.text, /Welcome, Gadgets.com readers/);
  assert.equal(hero.rerendered, false, "the edge's markup is kept, not rendered again");
  assert.equal(hero.adopted, true, "decided (the edge marks what it filled; the runtime keeps it)");
  // The runtime adopted it (its #adoptFromEdge emits this without recording an impression).
  assert.ok(impressions.some((i) => i.campaign === "aff-hero"), "perso:impression for the adopted slot");
  const fromEdge = edgeState((await cookies(context)).perso_state).state;
  // The runtime stores the adopted state when it next changes (here: the cart is set).
  await page.evaluate(() => window.perso.setCart([]));
  await page.waitForFunction(() => localStorage.getItem("perso:v2:visitor") !== null);
  const stored = await page.evaluate(() => localStorage.getItem("perso:v2:visitor"));
  assert.ok(stored, `the runtime stored the visitor: ${JSON.stringify(await page.evaluate(() => Object.keys(localStorage)))}`);
  const browserState = stateJson(decodeBase64(stored));
  assert.equal(browserState.id, fromEdge.id, "one visitor for both hosts");
  assert.equal(browserState.session.pages, 1, "the edge counted the page view; the browser did not count it again");
  assert.equal(browserState.session.ref_host, "gadgets.com");
  await page.screenshot({ path: `${shots}edge-browser-affiliate.png` });
  await context.close();
});

test("registration answers and a dismissal made in the browser reach the edge's next decision", async () => {
  // A visitor who answers the prompt: the edge renders the interest hero on the next page.
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${edgeUrl}/`);
  await page.waitForSelector('perso-popup[data-perso-campaign="anon-register"] [role=dialog]', { timeout: 10_000 });
  await page.locator("perso-popup input[value=audio]").check();
  await page.locator("perso-popup button[type=submit]").click();
  const client = decoded(`v1.${(await cookies(context)).perso_client.slice(3)}`);
  assert.deepEqual(client.events.map((e) => [e.t, e.c ?? e.interests]).filter(([t]) => t === "register"), [["register", ["audio"]]]);
  await page.goto(`${edgeUrl}/category/audio`);
  await decided(page);
  const hero = await slotInfo(page, "hero");
  assert.equal(hero.rendered, "interest-hero-audio", "the edge folded the answers into its state");
  assert.equal(hero.rerendered, false);
  const state = edgeState((await cookies(context)).perso_state);
  assert.equal(state.state.registered, true);
  assert.ok(state.acked_ms > 0, "the edge acknowledged the browser's events");
  await page.screenshot({ path: `${shots}edge-browser-registered.png` });
  await context.close();

  // A visitor who closes the prompt without answering: the edge records the dismissal.
  const other = await browser.newContext();
  const second = await other.newPage();
  await second.goto(`${edgeUrl}/`);
  await second.waitForSelector('perso-popup[data-perso-campaign="anon-register"] [role=dialog]', { timeout: 10_000 });
  await second.keyboard.press("Escape");
  await second.goto(`${edgeUrl}/cart`);
  await decided(second);
  const records = edgeState((await cookies(other)).perso_state).state.campaigns ?? [];
  assert.ok(records.find((r) => r.id === "anon-register")?.dismissed_ms > 0, "the dismissal is in the edge's state");
  await other.close();
});

test("the cart reaches the edge: cross-sell rendered at the edge from the browser's cart", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${edgeUrl}/product/HP-100`);
  await decided(page);
  await page.locator('button.add[data-sku="HP-100"]').first().click();
  await page.waitForFunction(() => document.cookie.includes("perso_cart="));
  await page.goto(`${edgeUrl}/`);
  await decided(page);
  const cross = await slotInfo(page, "cross_sell");
  assert.equal(cross.rendered, "cart-cross-sell");
  assert.match(cross.text, /Hard travel case/);
  assert.equal(cross.rerendered, false);
  await context.close();
});

test("a data-perso-wait slot the edge filled is shown at once, without waiting for the runtime (or its 1 s fallback)", async () => {
  // No JavaScript: only the edge's markup and the anti-flicker CSS (perso-slots.css,
  // which hides a data-perso-wait slot until it is decided, 1 s at most).
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${edgeUrl}/`, { referer: "https://gadgets.com/reviews/headphones", waitUntil: "load" });
  const hero = await page.evaluate(() => {
    const slot = document.querySelector('[data-perso-slot="hero"]');
    const style = getComputedStyle(slot);
    return { wait: slot.hasAttribute("data-perso-wait"), rendered: slot.getAttribute("data-perso-rendered"), animation: style.animationName, visibility: style.visibility };
  });
  assert.equal(hero.rendered, "aff-hero");
  assert.equal(hero.wait, true, "the store's page marks the hero slot data-perso-wait");
  // The hiding rule (visibility: hidden, then the 1.5 s reveal animation) does not apply
  // to it: independent of how long this machine took to load the page.
  assert.equal(hero.animation, "none", "the anti-flicker rule does not hold the edge's slot back");
  assert.equal(hero.visibility, "visible", "the edge decided this slot: it is not hidden");
  await context.close();
});
