// Exposure events into the store's own analytics (docs/browser-runtime.md, "Measuring:
// exposures into your analytics"), end to end in headless Chromium on the demo: with
// `data-exposure`, GA4's view_promotion / select_promotion and GrowthBook's
// experiment_viewed land in the page's dataLayer in exactly the documented shapes — for
// scenario 1's hero, an experiment's variant, a held-out visitor (where and when the
// campaign would have shown), the bundle's global holdout, a slot the edge rendered —
// and nothing at all without the option, with consent denied or still required, or
// with Global Privacy Control; perso itself still makes no request.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { launchBrowser, startDemo, instrumentPage, settled, persoEvents, slotText, compileBundle } from "./helpers.mjs";
import { renderPlacement } from "../../edge/src/slot-markup.js";

const BUNDLE_TEXT = readFileSync(new URL("../../www/bundle.json", import.meta.url), "utf8");
const GADGETS = "https://gadgets.com/reviews/quiet-pro";
const EVENTS = ["view_promotion", "select_promotion", "experiment_viewed"];

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

/**
 * A page of the demo with `data-exposure="<exposure>"` on perso's script tag (none when
 * null); `edit(html)` changes the page further; `bundle(b)` serves a variant of the
 * default bundle, compiled and signed as `perso publish` would.
 */
async function newPage({ exposure = "ga4 growthbook", edit = (html) => html, bundle = null, init = null } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const log = await instrumentPage(page);
  if (init) await page.addInitScript(init);
  await page.route(/\/(\?.*)?$/, async (route) => {
    const response = await route.fetch();
    let html = await response.text();
    if (exposure !== null) html = html.replace("data-bundle=", `data-exposure="${exposure}" data-bundle=`);
    await route.fulfill({ response, body: edit(html) });
  });
  if (bundle) {
    const source = JSON.parse(BUNDLE_TEXT);
    bundle(source);
    const bytes = compileBundle(Buffer.from(JSON.stringify(source)));
    const sig = await demo.key.sign(bytes);
    await page.route(`${demo.url}/perso/bundle.bin`, (route) => route.fulfill({ contentType: "application/octet-stream", body: bytes }));
    await page.route(`${demo.url}/perso/bundle.bin.sig`, (route) => route.fulfill({ contentType: "application/json", body: sig }));
  }
  return { context, page, log };
}

/** What perso pushed into the dataLayer (the shop's own pushes, e.g. gtag's add_to_cart, left out). */
const pushed = (page) =>
  page.evaluate((names) => (window.dataLayer ?? []).filter((entry) => entry && !Array.isArray(entry) && typeof entry.length !== "number"
    && ((Object.keys(entry).length === 1 && entry.ecommerce === null) || names.includes(entry.event))), EVENTS);

const waitPushed = (page, n) => page.waitForFunction(([names, count]) => (window.dataLayer ?? []).filter((e) => names.includes(e?.event)).length >= count, [EVENTS, n]);

const clear = { ecommerce: null };
/** A GA4 promotion event as pushed into the dataLayer: its parameters at the event's level and on its one item. */
const promotion = (event, item) => ({ event, ecommerce: { ...item, items: [item] } });
const HERO = { promotion_id: "aff-hero", promotion_name: "aff-hero", creative_slot: "hero" };
const experiment = (id, variation) => ({ event: "experiment_viewed", experiment_id: id, variation_id: variation });

/** Clicks the hero's link without leaving the page. */
const clickHero = (page) => page.evaluate(() => {
  document.addEventListener("click", (event) => event.preventDefault(), true);
  document.querySelector("[data-perso-slot=hero]").shadowRoot.querySelector("a.cta").click();
});

/** What perso requested (and anything to another origin), its own script chunks left out (the exposure module is one). */
const persoData = (log) => [...new Set(log.requests.map((r) => new URL(r.url))
  .filter((u) => (u.origin !== demo.url || u.pathname.startsWith("/perso/")) && !/^\/perso\/[\w.-]+\.js$/.test(u.pathname))
  .map((u) => u.origin + u.pathname + u.search))].sort();

test("scenario 1 with data-exposure: view_promotion for the affiliate hero, select_promotion on its click, exactly as documented; no request added", async () => {
  const { context, page, log } = await newPage();
  await page.goto(`${demo.url}/`, { referer: GADGETS });
  await settled(page);
  assert.match(await slotText(page, "hero"), /Welcome, Gadgets\.com readers/);
  await waitPushed(page, 1);
  assert.deepEqual(await pushed(page), [clear, promotion("view_promotion", HERO)]);
  await clickHero(page);
  assert.deepEqual(await pushed(page), [clear, promotion("view_promotion", HERO), clear, promotion("select_promotion", HERO)]);
  // Once per page: deciding again (the hero stays) pushes nothing more.
  await page.evaluate(() => window.perso.redecide());
  assert.equal((await pushed(page)).length, 4);
  // Ids only: nothing from the context (referrer, cart, customer) in what was pushed.
  assert.doesNotMatch(JSON.stringify(await pushed(page)), /gadgets\.com|from_gadgets|segment/);

  // The same visit without the option: the same requests, and nothing pushed.
  const plain = await newPage({ exposure: null });
  await plain.page.goto(`${demo.url}/`, { referer: GADGETS });
  await settled(plain.page);
  await clickHero(plain.page);
  assert.deepEqual(await pushed(plain.page), [], "nothing pushed without the option");
  assert.deepEqual(persoData(log), persoData(plain.log), "exposure adds no request");
  for (const url of persoData(log)) assert.ok(url.startsWith(demo.url), `a request left the origin: ${url}`);
  await plain.context.close();
  await context.close();
});

test("an experiment: the variant's exposure with the promotion; a held-out visitor's holdout where and when it would have shown", async () => {
  const variantB = await newPage({
    bundle: (b) => {
      b.campaigns.find((c) => c.id === "aff-hero").experiment = {
        salt: "hero-test", holdout: 0, variants: [{ id: "a", weight: 0 }, { id: "b", weight: 1, action: { kind: "banner", title: "Readers' picks, variant B" } }],
      };
    },
  });
  await variantB.page.goto(`${demo.url}/`, { referer: GADGETS });
  await settled(variantB.page);
  assert.match(await slotText(variantB.page, "hero"), /variant B/);
  await waitPushed(variantB.page, 2);
  assert.deepEqual(await pushed(variantB.page), [clear, promotion("view_promotion", { ...HERO, creative_name: "b" }), experiment("aff-hero", "b")]);
  await variantB.context.close();

  // Everyone held out of the hero's experiment and of the registration prompt's (a 3 s dwell).
  const held = await newPage({
    bundle: (b) => {
      b.campaigns.find((c) => c.id === "aff-hero").experiment = { salt: "hero-test", holdout: 1, variants: [{ id: "a", weight: 0 }] };
      b.campaigns.find((c) => c.id === "anon-register").experiment = { salt: "register-test", holdout: 1, variants: [{ id: "a", weight: 0 }] };
    },
  });
  await held.page.goto(`${demo.url}/`, { referer: GADGETS });
  await settled(held.page);
  const decision = await held.page.evaluate(() => window.perso.decision());
  assert.deepEqual(decision.holdouts, ["aff-hero"]);
  assert.equal(await slotText(held.page, "hero"), "", "the held-out visitor sees the default hero");
  await waitPushed(held.page, 1);
  assert.deepEqual(await pushed(held.page), [experiment("aff-hero", "holdout")], "no promotion: nothing was shown");
  await held.context.close();

  const newcomer = await newPage({
    bundle: (b) => {
      b.campaigns.find((c) => c.id === "anon-register").experiment = { salt: "register-test", holdout: 1, variants: [{ id: "a", weight: 0 }] };
    },
  });
  await newcomer.page.goto(`${demo.url}/`);
  await settled(newcomer.page);
  assert.deepEqual((await newcomer.page.evaluate(() => window.perso.decision())).holdouts, ["anon-register"]);
  assert.deepEqual(await pushed(newcomer.page), [], "not before the prompt's trigger (3 s on the page)");
  await waitPushed(newcomer.page, 1);
  assert.deepEqual(await pushed(newcomer.page), [experiment("anon-register", "holdout")]);
  assert.equal(await newcomer.page.evaluate(() => document.querySelectorAll("perso-popup").length), 0, "and nothing shown");
  await newcomer.context.close();
});

test("the bundle's global holdout: perso_global's holdout or personalized variation, once per page", async () => {
  const heldOut = await newPage({ bundle: (b) => (b.holdout = { percent: 100, salt: "global-2026" }) });
  await heldOut.page.goto(`${demo.url}/`, { referer: GADGETS });
  await settled(heldOut.page);
  assert.equal((await heldOut.page.evaluate(() => window.perso.decision())).global_holdout, "holdout");
  assert.equal(await slotText(heldOut.page, "hero"), "");
  await heldOut.page.evaluate(() => window.perso.redecide());
  assert.deepEqual(await pushed(heldOut.page), [experiment("perso_global", "holdout")]);
  await heldOut.context.close();

  const personalized = await newPage({ bundle: (b) => (b.holdout = { percent: 0, salt: "global-2026" }) });
  await personalized.page.goto(`${demo.url}/`, { referer: GADGETS });
  await settled(personalized.page);
  await waitPushed(personalized.page, 2);
  assert.deepEqual(await pushed(personalized.page), [experiment("perso_global", "personalized"), clear, promotion("view_promotion", HERO)]);
  await personalized.context.close();
});

test("nothing pushed with consent required and not granted, Consent Mode denied, or Global Privacy Control", async () => {
  const required = await newPage({ edit: (html) => html.replace("data-bundle=", 'data-consent="required" data-bundle=') });
  await required.page.goto(`${demo.url}/`, { referer: GADGETS });
  await settled(required.page);
  assert.match(await slotText(required.page, "hero"), /Gadgets\.com readers/, "decides from the page alone");
  await clickHero(required.page);
  assert.deepEqual(await pushed(required.page), []);
  // Granted: from then on (the click now counts; the earlier rendering is not reported).
  await required.page.evaluate(() => window.perso.consent(true));
  await required.page.evaluate(() => document.querySelector("[data-perso-slot=hero]").shadowRoot.querySelector("a.cta").click());
  assert.deepEqual(await pushed(required.page), [clear, promotion("select_promotion", HERO)]);
  await required.context.close();

  const denied = await newPage({ init: () => (window.dataLayer = [["consent", "default", { personalization_storage: "denied" }]]) });
  await denied.page.goto(`${demo.url}/`, { referer: GADGETS });
  await settled(denied.page);
  await clickHero(denied.page);
  assert.deepEqual(await pushed(denied.page), []);
  await denied.context.close();

  const gpc = await newPage({
    init: () => Object.defineProperty(Navigator.prototype, "globalPrivacyControl", { get: () => true }),
    bundle: (b) => (b.holdout = { percent: 0 }),
  });
  await gpc.page.goto(`${demo.url}/`, { referer: GADGETS });
  await settled(gpc.page);
  assert.match(await slotText(gpc.page, "hero"), /Gadgets\.com readers/);
  await clickHero(gpc.page);
  await gpc.page.waitForTimeout(300);
  assert.deepEqual(await pushed(gpc.page), []);
  await gpc.context.close();
});

test("behind the edge: a slot the edge rendered and the runtime adopts gets its view_promotion", async () => {
  const aff = JSON.parse(BUNDLE_TEXT).campaigns.find((c) => c.id === "aff-hero");
  const markup = renderPlacement({ placement: "hero", campaign: "aff-hero", action: aff.action, why: aff.why }, { safeUrl: (url) => url.startsWith("/") });
  const { context, page } = await newPage({
    edit: (html) => html
      .replace("<html", '<html data-perso-edge="1"')
      .replace(/<div data-perso-slot="hero" data-perso-wait>[\s\S]*?<\/div>\n<\/div>/, `<div data-perso-slot="hero" data-perso-rendered="aff-hero" data-perso-decided>${markup}</div>`),
  });
  await page.goto(`${demo.url}/`, { referer: GADGETS });
  await settled(page);
  await waitPushed(page, 1);
  assert.equal(await page.evaluate(() => Boolean(document.querySelector("[data-perso-slot=hero]").shadowRoot)), false, "adopted, not re-rendered");
  assert.deepEqual((await persoEvents(page, "perso:impression")).map((e) => e.detail.campaign), ["aff-hero"]);
  assert.deepEqual(await pushed(page), [clear, promotion("view_promotion", HERO)]);
  await page.evaluate(() => {
    document.addEventListener("click", (event) => event.preventDefault(), true);
    document.querySelector("[data-perso-slot=hero] a").click();
  });
  assert.deepEqual((await pushed(page)).slice(2), [clear, promotion("select_promotion", HERO)]);
  await context.close();
});

test("onExposure: the same events to the store's callback instead of the dataLayer (npm start())", async () => {
  const { context, page } = await newPage({ exposure: null });
  await page.route(`${demo.url}/npm-exposure`, (route) => route.fulfill({
    contentType: "text/html",
    body: `<!doctype html><html><head><link rel="icon" href="data:,"><link rel="stylesheet" href="/perso/perso-slots.css"><script type="module" src="/npm-exposure.js"></script></head>
<body><div data-perso-slot="hero" data-perso-wait><p class="hero-default">Default</p></div></body></html>`,
  }));
  await page.route(`${demo.url}/npm-exposure.js`, (route) => route.fulfill({
    contentType: "text/javascript",
    body: `import { start } from "/perso/perso.js";
window.__exposures = [];
await start({ bundle: "/perso/bundle.bin", key: ${JSON.stringify(demo.key.publicKeyBase64)}, onExposure: (event) => window.__exposures.push(event) });`,
  }));
  await page.goto(`${demo.url}/npm-exposure`, { referer: GADGETS });
  await page.waitForFunction(() => window.__exposures?.some((e) => e.ecommerce?.promotion_id === "aff-hero"));
  const exposures = await page.evaluate(() => window.__exposures);
  // In the dataLayer form, without the { ecommerce: null } a tag manager needs.
  assert.deepEqual(exposures, [promotion("view_promotion", HERO)]);
  assert.deepEqual(await pushed(page), [], "the callback instead of the dataLayer");
  await context.close();
});
