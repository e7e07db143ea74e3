// Single-page storefronts with the plain runtime (the script tag), in headless
// Chromium against the demo store: every kind of same-document route change counts
// as a navigation (pushState is in features.test.mjs), slots that appear after the
// decision are filled from it without deciding again, and slots the page draws itself
// (data-perso-app) are counted, not drawn.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launchBrowser, startDemo, instrumentPage, settled, persoEvents, slotText, storedVisitor } from "./helpers.mjs";

const GADGETS = "https://gadgets.com/reviews/quiet-pro";
let demo;
let browser;
before(async () => {
  demo = await startDemo();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await demo?.close();
});

async function newPage() {
  const context = await browser.newContext();
  const page = await context.newPage();
  const log = await instrumentPage(page);
  return { context, page, log };
}

const decisions = (page) => persoEvents(page, "perso:decision").then((events) => events.length);
const pages = async (page) => (await storedVisitor(page)).session.pages;
const untilDecisions = (page, n) => page.waitForFunction((count) => window.__persoEvents.filter((e) => e.type === "perso:decision").length >= count, n);

test("history.replaceState to another path counts a page view and decides again; one that keeps the path does not", async () => {
  const { context, page } = await newPage();
  await page.goto(`${demo.url}/`, { referer: GADGETS });
  await settled(page);
  assert.equal(await pages(page), 1);
  const before = await decisions(page);
  await page.evaluate(() => history.replaceState({ scroll: 120 }, "")); // state only: not a navigation
  await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 50)));
  assert.equal(await decisions(page), before);
  await page.evaluate(() => history.replaceState({}, "", "/category/audio"));
  await untilDecisions(page, before + 1);
  assert.equal(await pages(page), 2);
  assert.equal(await page.evaluate(() => window.perso.decision().serial), 1);
  await context.close();
});

test("a Navigation API navigation a router intercepts counts a page view and decides again", async () => {
  const { context, page } = await newPage();
  await page.goto(`${demo.url}/`, { referer: GADGETS });
  await settled(page);
  assert.ok(await page.evaluate(() => "navigation" in window), "Chromium has the Navigation API");
  const before = await decisions(page);
  await page.evaluate(() => {
    navigation.addEventListener("navigate", (event) => event.canIntercept && event.intercept({ handler: async () => {} }));
    return navigation.navigate("/product/HP-100").finished;
  });
  await untilDecisions(page, before + 1);
  assert.equal(await page.evaluate(() => location.pathname), "/product/HP-100");
  assert.equal(await pages(page), 2);
  // Back through the Navigation API too: one more page view, counted once.
  await page.evaluate(() => navigation.back().finished);
  await untilDecisions(page, before + 2);
  await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 100)));
  assert.equal(await pages(page), 3);
  assert.equal(await decisions(page), before + 2);
  await context.close();
});

test("slots that appear after the decision are filled at once from it: an inserted element, an element given the attribute", async () => {
  const { context, page } = await newPage();
  await page.goto(`${demo.url}/`, { referer: GADGETS });
  await settled(page);
  await page.evaluate(() => window.perso.setCart([{ sku: "SH-700", category: "smart-home", price: 35, qty: 1 }]));
  await page.evaluate(() => document.querySelector("[data-perso-slot=cross_sell]").remove());
  const before = await decisions(page);
  const filled = await page.evaluate(() => {
    const slot = document.createElement("div");
    slot.setAttribute("data-perso-slot", "cross_sell");
    const fallback = document.createElement("p");
    fallback.textContent = "Our bestsellers";
    slot.append(fallback); // a default the shopper has not seen yet: it may be swapped
    document.querySelector("main").append(slot);
    return new Promise((resolve) => requestAnimationFrame(() => resolve(slot.shadowRoot?.textContent ?? "")));
  });
  assert.match(filled, /Goes well with your cart/, "filled before the next frame");
  assert.equal(await decisions(page), before, "without deciding again");
  // An element that becomes a slot later.
  await page.evaluate(() => {
    document.querySelector("[data-perso-slot=hero]").remove();
    const late = document.createElement("section");
    late.id = "late";
    document.querySelector("main").prepend(late);
  });
  await page.evaluate(() => document.getElementById("late").setAttribute("data-perso-slot", "hero"));
  await page.waitForFunction(() => document.getElementById("late").shadowRoot?.textContent.includes("Gadgets.com readers"));
  assert.equal(await decisions(page), before);
  await context.close();
});

test("a slot inserted while the bundle failed to load is revealed at once, with its default", async () => {
  const { context, page } = await newPage();
  await page.route(`${demo.url}/perso/bundle.bin`, (route) => route.fulfill({ status: 404, body: "gone" }));
  await page.goto(`${demo.url}/`, { referer: GADGETS });
  await settled(page);
  const state = await page.evaluate(() => {
    const slot = document.createElement("div");
    slot.setAttribute("data-perso-slot", "hero");
    slot.setAttribute("data-perso-wait", "");
    slot.textContent = "Default hero";
    document.querySelector("main").append(slot);
    return new Promise((resolve) => queueMicrotask(() => setTimeout(() => resolve({ decided: slot.hasAttribute("data-perso-decided"), shadow: Boolean(slot.shadowRoot) }), 0)));
  });
  assert.deepEqual(state, { decided: true, shadow: false });
  await context.close();
});

test("a slot the page draws itself (data-perso-app): perso marks it decided, counts one impression and its link clicks, draws nothing", async () => {
  const { context, page } = await newPage();
  await page.route(/\/(\?.*)?$/, async (route) => {
    const response = await route.fetch();
    const html = (await response.text()).replace('<div data-perso-slot="hero" data-perso-wait>', '<div data-perso-slot="hero" data-perso-wait data-perso-app>');
    await route.fulfill({ response, body: html });
  });
  await page.goto(`${demo.url}/`, { referer: GADGETS });
  await settled(page);
  const slot = await page.evaluate(() => {
    const el = document.querySelector("[data-perso-slot=hero]");
    return { shadow: Boolean(el.shadowRoot), decided: el.hasAttribute("data-perso-decided"), campaign: el.dataset.persoCampaign };
  });
  assert.deepEqual(slot, { shadow: false, decided: true, campaign: "aff-hero" });
  assert.deepEqual((await persoEvents(page, "perso:impression")).map((e) => e.detail.campaign), ["aff-hero"]);
  // The page draws the decision (as perso/react's render prop does) and the shopper clicks its link.
  await page.evaluate(() => {
    const placed = window.perso.decision().placements.find((p) => p.placement === "hero");
    const el = document.querySelector("[data-perso-slot=hero]");
    const link = document.createElement("a");
    link.href = "#go";
    link.textContent = placed.action.cta.label;
    el.replaceChildren(link);
    window.perso.redecide(); // the same decision again: no second impression
  });
  await page.click("[data-perso-slot=hero] a");
  assert.deepEqual((await persoEvents(page, "perso:impression")).map((e) => e.detail.campaign), ["aff-hero"]);
  assert.deepEqual((await persoEvents(page, "perso:click")).map((e) => e.detail.campaign), ["aff-hero"]);
  const record = (await storedVisitor(page)).campaigns.find((c) => c.id === "aff-hero");
  assert.equal(record.clicks, 1);
  assert.match(await slotText(page, "hero"), /^$/, "perso drew nothing");
  await context.close();
});
