// perso installed the way a store's stack installs it: the npm tarball (npm pack) in a
// Vite + React app (test/fixtures/vite-react), built offline by Vite, served, and
// driven in headless Chromium. React hydrates server-rendered pages without a second
// render and without layout shift, draws the hero from the hook, keeps what the edge
// rendered, and slots that appear later (a route, a lazy component, a plain page's
// inserted element) are filled from the decision at hand.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { launchBrowser, instrumentPage, settled, persoEvents, slotText, shot } from "./helpers.mjs";
import { packInstallBuild, startFixtureServer, builtAssets, FIXTURE } from "./package-fixture.mjs";

const GADGETS = "https://gadgets.com/reviews/quiet-pro";
let built;
let plain;
let edge;
let browser;

before(async () => {
  built = packInstallBuild();
  plain = await startFixtureServer();
  edge = await startFixtureServer({ edge: true });
  browser = await launchBrowser();
  console.log(`bundlers: ${Object.entries(built.timings).map(([step, ms]) => `${step} ${ms} ms`).join(", ")}`);
});
after(async () => {
  await browser?.close();
  await plain?.close();
  await edge?.close();
});

/** A page that records layout shifts (CLS), hydration errors, 4xx/5xx responses, and the server-rendered nodes before any script ran. */
async function newPage() {
  const context = await browser.newContext();
  const page = await context.newPage();
  const log = await instrumentPage(page);
  log.failed = [];
  page.on("response", (response) => response.status() >= 400 && log.failed.push(`${response.status()} ${response.url()}`));
  page.on("requestfailed", (request) => log.failed.push(`failed ${request.url()}`));
  await page.addInitScript(() => {
    window.__cls = 0;
    window.__shifts = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        if (entry.hadRecentInput) continue;
        window.__cls += entry.value;
        window.__shifts.push(entry.sources?.map((s) => s.node?.outerHTML?.slice(0, 80)) ?? []);
      }
    }).observe({ type: "layout-shift", buffered: true });
    // Parsing is over, no script has run yet (module scripts run after this event):
    // what React will hydrate, as the server sent it.
    document.addEventListener("readystatechange", () => {
      if (document.readyState !== "interactive") return;
      const hero = document.querySelector("[data-perso-slot=hero]");
      window.__server = { shop: document.getElementById("shop-name"), heroContent: hero?.firstElementChild ?? null };
      window.__heroMutations = 0;
      if (hero) new MutationObserver((records) => (window.__heroMutations += records.length)).observe(hero, { childList: true, subtree: true, characterData: true });
    });
  });
  return { context, page, log };
}

const decisions = (page) => persoEvents(page, "perso:decision").then((events) => events.length);
/** A frame and a bit, so layout-shift entries are delivered. */
const frames = (page, ms = 300) => page.evaluate((wait) => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, wait))), ms);

test("the tarball: built minified ESM, the wasm beside it, types, licences; every subpath export resolves in Node", () => {
  for (const file of ["dist/perso.js", "dist/perso_bg.wasm", "dist/perso-full.wasm", "dist/react.js", "dist/openfeature.js", "dist/shopify.js", "dist/consent.js", "types/perso.d.ts", "types/engine.d.ts", "types/react.d.ts", "LICENSE-MIT", "LICENSE-APACHE", "package.json"]) {
    assert.ok(built.files.includes(file), `${file} in the tarball`);
  }
  assert.ok(!built.files.some((f) => f.startsWith("src/")), "sources are not shipped");
  const script = `
    const pkg = (await import("perso/package.json", { with: { type: "json" } })).default;
    const out = { license: pkg.license };
    for (const name of ["perso", "perso/react", "perso/openfeature", "perso/shopify", "perso/consent"]) out[name] = Object.keys(await import(name)).sort();
    console.log(JSON.stringify(out));`;
  const exported = JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: FIXTURE, encoding: "utf8" }));
  assert.equal(exported.license, "MIT OR Apache-2.0");
  assert.ok(exported.perso.includes("start"));
  assert.deepEqual(exported["perso/react"], ["PersoProvider", "PersoSlot", "usePerso", "usePlacement"]);
  assert.deepEqual(exported["perso/openfeature"], ["PersoProvider"]);
  assert.ok(exported["perso/shopify"].includes("watchShopifyCart"));
  assert.ok(exported["perso/consent"].includes("decodeTcString"));
  // Vite saw `new URL("./perso_bg.wasm", import.meta.url)` and emitted the engine.
  const assets = builtAssets().map((a) => a.name);
  assert.ok(assets.some((name) => /^perso_bg-[\w-]+\.wasm$/.test(name)), `emitted: ${assets.join(", ")}`);
});

test("Vite + React, server-rendered: hydrates without a second render, the hero drawn by the hook, no 404, no layout shift", async () => {
  const { context, page, log } = await newPage();
  await page.goto(`${plain.url}/`, { referer: GADGETS });
  await settled(page);
  await page.waitForSelector("[data-perso-slot=hero] .hero-banner");
  await frames(page, 1700); // past the anti-flicker reveal
  const hero = await page.evaluate(() => {
    const slot = document.querySelector("[data-perso-slot=hero]");
    return { title: slot.querySelector(".hero-banner h2")?.textContent, shadow: Boolean(slot.shadowRoot), campaign: slot.dataset.persoCampaign };
  });
  assert.deepEqual(hero, { title: "Welcome, Gadgets.com readers", shadow: false, campaign: "aff-hero" }, "React drew the decision; perso only marked the slot");
  assert.deepEqual((await persoEvents(page, "perso:impression")).map((e) => e.detail.campaign), ["aff-hero"], "one impression");
  assert.ok(await page.evaluate(() => document.getElementById("shop-name") === window.__server.shop), "hydration kept the server's nodes");
  assert.deepEqual(await page.evaluate(() => window.__hydrationErrors), []);
  assert.equal(await page.evaluate(() => window.__cls), 0, `layout shifts: ${JSON.stringify(await page.evaluate(() => window.__shifts))}`);
  assert.deepEqual(log.failed, []);
  assert.deepEqual(log.pageErrors, []);
  assert.deepEqual(log.console.filter((m) => m.type === "error" || m.type === "warning"), []);
  // Shoppers never download the debug overlay or the full engine.
  assert.ok(!log.requests.some((r) => /perso-full|chunk-/.test(r.url)), "no debug chunk, no perso-full.wasm");
  assert.ok(log.requests.some((r) => /\/assets\/perso_bg-[\w-]+\.wasm$/.test(r.url)), "the wasm Vite emitted");
  await shot(page, "bundlers-react-hero");
  await context.close();
});

test("edge-decided page: React hydrates the edge's slot as it is (no re-render, no layout shift); the runtime adopts it", async () => {
  const { context, page, log } = await newPage();
  await page.goto(`${edge.url}/`, { referer: GADGETS });
  await settled(page);
  await frames(page, 1700);
  const hero = await page.evaluate(() => {
    const slot = document.querySelector("[data-perso-slot=hero]");
    return { rendered: slot.dataset.persoRendered, decided: slot.hasAttribute("data-perso-decided"), text: slot.textContent.replace(/\s+/g, " ").trim(), shadow: Boolean(slot.shadowRoot), same: slot.firstElementChild === window.__server.heroContent };
  });
  assert.equal(hero.rendered, "aff-hero");
  assert.match(hero.text, /Welcome, Gadgets.com readers/);
  assert.equal(hero.shadow, false, "not re-rendered by the runtime");
  assert.ok(hero.same, "the edge's nodes are the ones on the page");
  assert.ok(hero.decided, "adopted");
  assert.equal(await page.evaluate(() => window.__heroMutations), 0, "nothing inside the edge's slot changed");
  assert.ok(await page.evaluate(() => document.getElementById("shop-name") === window.__server.shop));
  assert.deepEqual(await page.evaluate(() => window.__hydrationErrors), []);
  assert.equal(await page.evaluate(() => window.__cls), 0, `layout shifts: ${JSON.stringify(await page.evaluate(() => window.__shifts))}`);
  assert.deepEqual(log.failed, []);
  assert.deepEqual(log.pageErrors, []);
  await context.close();
});

test("an edge rendering of another campaign: React draws perso's in the same element, one impression, no hydration error", async () => {
  const { context, page, log } = await newPage();
  await page.setExtraHTTPHeaders({ "x-test-edge-campaign": "stale-hero" });
  await page.goto(`${edge.url}/`, { referer: GADGETS });
  await settled(page);
  await page.waitForSelector("[data-perso-slot=hero] .hero-banner");
  const hero = await page.evaluate(() => {
    const slot = document.querySelector("[data-perso-slot=hero]");
    return { title: slot.querySelector(".hero-banner h2")?.textContent, rendered: slot.getAttribute("data-perso-rendered"), campaign: slot.dataset.persoCampaign, edgeLeft: Boolean(slot.querySelector(".perso-banner")) };
  });
  assert.deepEqual(hero, { title: "Welcome, Gadgets.com readers", rendered: null, campaign: "aff-hero", edgeLeft: false });
  assert.deepEqual((await persoEvents(page, "perso:impression")).map((e) => e.detail.campaign), ["aff-hero"]);
  assert.deepEqual(await page.evaluate(() => window.__hydrationErrors), []);
  assert.deepEqual(log.pageErrors, []);
  await context.close();
});

test("a lazily loaded component's slot is filled at once, without deciding again; a route change mounting a slot gets it filled", async () => {
  const { context, page, log } = await newPage();
  await page.goto(`${plain.url}/`, { referer: GADGETS });
  await settled(page);
  await page.click("#add-to-cart");
  await page.waitForFunction(() => window.perso.decision().placements.some((p) => p.placement === "cross_sell"));
  const before = await decisions(page);
  await page.click("#show-picks"); // React.lazy: a chunk loads, then the slot mounts
  await page.waitForFunction(() => document.querySelector(".lazy-cross-sell")?.shadowRoot?.textContent.includes("Goes well with your cart"));
  assert.equal(await decisions(page), before, "filled from the decision at hand");
  assert.match(await slotText(page, "cross_sell"), /Goes well with your cart/);

  // Client-side route: pushState (a page view, a new decision), then React mounts the cart page's slot.
  await page.click("#nav-cart");
  await page.waitForFunction(() => location.pathname === "/cart" && document.querySelector(".cart-cross-sell")?.shadowRoot?.textContent.includes("Goes well with your cart"));
  assert.equal(await decisions(page), before + 1, "the route change counted as a navigation");
  await shot(page, "bundlers-react-route");
  assert.deepEqual(log.failed, []);
  assert.deepEqual(log.pageErrors, []);
  await context.close();
});

test("the same app without React (perso from npm, bundled by Vite): a slot inserted after the decision is filled before it is painted", async () => {
  const { context, page, log } = await newPage();
  await page.goto(`${plain.url}/vanilla`, { referer: GADGETS });
  await page.waitForFunction(() => window.__started);
  await page.evaluate(() => window.__started);
  const before = await decisions(page);
  const filledBeforeFrame = await page.evaluate(() => {
    document.getElementById("show-hero").click();
    const slot = document.querySelector("#later [data-perso-slot=hero]");
    return new Promise((resolve) => requestAnimationFrame(() => resolve(Boolean(slot.shadowRoot) && !slot.shadowRoot.querySelector("slot"))));
  });
  assert.ok(filledBeforeFrame, "filled before the next frame");
  assert.match(await slotText(page, "hero"), /Welcome, Gadgets.com readers/);
  assert.equal(await decisions(page), before);
  assert.deepEqual(log.failed, []);
  assert.deepEqual(log.pageErrors, []);
  await context.close();
});
