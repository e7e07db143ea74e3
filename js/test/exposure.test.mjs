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
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
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

// ----- the contract with `perso report` (docs/report.md, "Inputs") -----

/** A Google tag (gtag.js) stand-in: the calls the page makes, as gtag.js receives them. */
const googleTag = () => {
  window.dataLayer = window.dataLayer || [];
  window.__gtag = [];
  window.gtag = function gtag() {
    window.__gtag.push(JSON.parse(JSON.stringify([...arguments])));
    window.dataLayer.push(arguments);
  };
};
const gtagEvents = (page) => page.evaluate(() => window.__gtag.filter(([command]) => command === "event"));

/**
 * What GA4 writes into its BigQuery export (`events_YYYYMMDD`) for a `gtag("event", name,
 * params)` call: its scalar parameters as `event_params`, its items as `items`.
 */
function ga4ExportRow([, name, params], visitor, timestampUs) {
  const { items, ...scalars } = params;
  const row = {
    event_name: name,
    event_timestamp: String(timestampUs), // BigQuery writes INT64 as a JSON string
    user_pseudo_id: visitor,
    event_params: Object.entries(scalars).map(([key, value]) => ({ key, value: { string_value: String(value) } })),
  };
  if (items) row.items = items;
  return row;
}

/** The marketers' CLI's `perso report`, when this tree has it (PERSO_REPORT_BIN names another build): argv prefix or null. */
function reportCommand() {
  if (process.env.PERSO_REPORT_BIN) return [process.env.PERSO_REPORT_BIN, "report"];
  const repo = fileURLToPath(new URL("../../", import.meta.url));
  try {
    execFileSync("cargo", ["run", "-q", "-p", "perso-cli", "--", "report", "--help"], { cwd: repo, stdio: "ignore" });
    return ["cargo", "run", "-q", "-p", "perso-cli", "--", "report"];
  } catch {
    return null;
  }
}

test("with the Google tag: gtag('event', ...) with exactly the parameters `perso report` reads; analytics_storage denied stops them", async () => {
  const experimentBundle = (b) => {
    b.holdout = { percent: 50, salt: "global-report" };
    b.campaigns.find((c) => c.id === "aff-hero").experiment = {
      salt: "hero-report", holdout: 50, variants: [{ id: "b", weight: 50, action: { kind: "banner", title: "Readers' picks, variant B" } }],
    };
  };
  // Visitors of the affiliate scenario, each a fresh device (their own visitor id, so their own buckets).
  const rows = [];
  const seen = { global: new Set(), hero: new Set() };
  for (let visitor = 0; visitor < 10; visitor++) {
    const { context, page } = await newPage({ exposure: "", init: googleTag, bundle: experimentBundle });
    await page.goto(`${demo.url}/`, { referer: GADGETS });
    await settled(page);
    const decision = await page.evaluate(() => window.perso.decision());
    const global = decision.global_holdout;
    const hero = decision.placements.find((p) => p.placement === "hero" && p.campaign === "aff-hero");
    const heroHeld = (decision.holdouts ?? []).includes("aff-hero");
    const expected = [["event", "experiment_viewed", { experiment_id: "perso_global", variation_id: global }]];
    if (hero) {
      const item = { promotion_id: "aff-hero", promotion_name: "aff-hero", creative_slot: "hero", creative_name: "b" };
      expected.push(["event", "view_promotion", { ...item, items: [item] }], ["event", "experiment_viewed", { experiment_id: "aff-hero", variation_id: "b" }]);
    } else if (heroHeld) {
      expected.push(["event", "experiment_viewed", { experiment_id: "aff-hero", variation_id: "holdout" }]);
    }
    await page.waitForFunction((n) => window.__gtag.filter(([c]) => c === "event").length >= n, expected.length);
    const events = await gtagEvents(page);
    assert.deepEqual(events.filter(([, name]) => name !== "add_to_cart"), expected, `visitor ${visitor} (${global}, hero ${hero ? "b" : heroHeld ? "holdout" : "none"})`);
    assert.deepEqual(await pushed(page), [], "the Google tag instead of raw dataLayer objects");
    seen.global.add(global);
    if (hero || heroHeld) seen.hero.add(hero ? "b" : "holdout");
    const id = `visitor-${visitor}`;
    const t0 = 1_764_000_000_000_000 + visitor * 10_000_000;
    events.forEach((event, i) => rows.push(ga4ExportRow(event, id, t0 + i)));
    // Half of them buy afterwards (the store's own purchase event).
    if (visitor % 2 === 0) rows.push({ event_name: "purchase", event_timestamp: String(t0 + 5_000_000), user_pseudo_id: id, event_params: [], ecommerce: { transaction_id: `T${visitor}`, purchase_revenue: 40 + visitor } });
    await context.close();
  }
  assert.ok(seen.global.size >= 1);

  // The export's columns are the ones docs/report.md names (once it is in this tree).
  const reportDoc = new URL("../../docs/report.md", import.meta.url);
  if (existsSync(reportDoc)) {
    const doc = readFileSync(reportDoc, "utf8");
    for (const name of ["experiment_viewed", "experiment_id", "variation_id", "view_promotion", "promotion_id", "creative_slot", "promotion_name", "perso_global", "personalized", "holdout"]) {
      assert.ok(doc.includes(`\`${name}\``), `docs/report.md names ${name}`);
    }
  }

  // Through the report reader itself, when this tree has `perso report`.
  const command = reportCommand();
  if (command) {
    const dir = mkdtempSync(join(tmpdir(), "perso-exposure-report-"));
    try {
      const file = join(dir, "events.jsonl");
      writeFileSync(file, rows.map((row) => JSON.stringify(row)).join("\n") + "\n");
      const [bin, ...args] = command;
      const report = JSON.parse(execFileSync(bin, [...args, file, "--json", "--strict"], { cwd: fileURLToPath(new URL("../../", import.meta.url)), encoding: "utf8" }));
      assert.equal(report.input.skipped_rows, 0);
      assert.equal(report.input.ignored_exposure_events, 0);
      assert.equal(report.input.exposure_events, rows.filter((r) => r.event_name === "experiment_viewed" || r.event_name === "view_promotion").length);
      assert.equal(report.input.orders, 5);
      const byId = Object.fromEntries(report.campaigns.map((c) => [c.campaign, c]));
      assert.deepEqual(byId.perso_global.arms.map((a) => a.variant).sort(), [...seen.global].sort());
      assert.equal(byId.perso_global.arms.reduce((sum, a) => sum + a.visitors, 0), 10, "every visitor in perso_global, once");
      if (seen.hero.size > 0) {
        assert.equal(byId["aff-hero"].kind, "experiment");
        assert.deepEqual(byId["aff-hero"].arms.map((a) => a.variant).sort(), [...seen.hero].sort());
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } else {
    console.log("# perso report is not in this tree's CLI: the export rows were checked against the documented columns only");
  }

  // Consent Mode: analytics_storage denied, nothing; granted later, from then on.
  const denied = await newPage({
    exposure: "",
    init: () => {
      window.dataLayer = [["consent", "default", { analytics_storage: "denied" }]];
      window.__gtag = [];
      window.gtag = function gtag() {
        window.__gtag.push(JSON.parse(JSON.stringify([...arguments])));
        window.dataLayer.push(arguments);
      };
    },
  });
  await denied.page.goto(`${demo.url}/`, { referer: GADGETS });
  await settled(denied.page);
  assert.match(await slotText(denied.page, "hero"), /Gadgets\.com readers/, "personalization still on (its own consent)");
  await clickHero(denied.page);
  assert.deepEqual((await gtagEvents(denied.page)).filter(([, name]) => EVENTS.includes(name)), []);
  await denied.page.evaluate(() => {
    window.gtag("consent", "update", { analytics_storage: "granted" });
    document.querySelector("[data-perso-slot=hero]").shadowRoot.querySelector("a.cta").click();
  });
  const item = { promotion_id: "aff-hero", promotion_name: "aff-hero", creative_slot: "hero" };
  assert.deepEqual((await gtagEvents(denied.page)).filter(([, name]) => EVENTS.includes(name)), [["event", "select_promotion", { ...item, items: [item] }]]);
  await denied.context.close();
});
