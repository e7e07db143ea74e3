// Consent platforms in headless Chromium against the demo store, with stub CMPs that
// behave like the real APIs: IAB TCF v2.2's `__tcfapi` (purposes 1, 5, 6 when the GDPR
// applies), Shopify's Customer Privacy API (`Shopify.customerPrivacy`, also loaded
// through `Shopify.loadFeatures`), and a store's own adapter (`consentAdapter`). In
// each: perso stores nothing until the platform grants, consent-gated campaigns are
// excluded meanwhile, a denial or withdrawal erases perso's keys, and a returning
// shopper's state survives page loads once granted.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { launchBrowser, startDemo, instrumentPage, settled, compileBundle, storedVisitor } from "./helpers.mjs";

const GADGETS = "https://gadgets.com/reviews/quiet-pro";
const BUNDLE = JSON.parse(readFileSync(new URL("../../www/bundle.json", import.meta.url), "utf8"));
let demo;
let browser;
let gated; // the bundle with the affiliate hero gated on consent
before(async () => {
  demo = await startDemo();
  browser = await launchBrowser();
  const bundle = structuredClone(BUNDLE);
  bundle.campaigns.find((c) => c.id === "aff-hero").requires_consent = true;
  const bytes = compileBundle(Buffer.from(JSON.stringify(bundle)));
  gated = { bytes, sig: await demo.key.sign(bytes) };
});
after(async () => {
  await browser?.close();
  await demo?.close();
});

/** A page on the gated bundle; `init` runs before any page script (the CMP's stub, as its snippet would be). */
async function newPage(init, arg) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const log = await instrumentPage(page);
  await page.route(`${demo.url}/perso/bundle.bin`, (route) => route.fulfill({ contentType: "application/octet-stream", body: gated.bytes }));
  await page.route(`${demo.url}/perso/bundle.bin.sig`, (route) => route.fulfill({ contentType: "application/json", body: gated.sig }));
  if (init) await page.addInitScript(init, arg);
  return { context, page, log };
}

const persoKeys = (page) => page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("perso")).sort());
/** perso keeps its state on the device (the visitor, the verified bundle and its serial; the cart once there is one). */
async function assertStored(page) {
  const keys = await persoKeys(page);
  for (const key of ["perso:v2:visitor", "perso:v2:bundle", "perso:v1:serial"]) assert.ok(keys.includes(key), `${key} stored: ${keys}`);
}
const hero = (page) => page.evaluate(() => window.perso.decision()?.placements.find((p) => p.placement === "hero")?.campaign ?? null);
const consentInContext = (page) => page.evaluate(() => window.perso.decision() && document.querySelector("[data-perso-slot=hero]")?.dataset.persoCampaign);

/** A TCF v2.2 CMP stub: `__tcfapi` with addEventListener/removeEventListener; `__cmp.answer(tcData)` is the shopper's choice. */
function tcfStub({ initial, delayMs = 0 }) {
  const listeners = new Map();
  let current = null;
  let next = 1;
  window.__cmp = {
    calls: [],
    answer(tcData) {
      current = { tcfPolicyVersion: 5, cmpId: 10, ...tcData };
      for (const [id, callback] of listeners) callback({ ...current, listenerId: id }, true);
    },
  };
  window.__tcfapi = (command, version, callback, parameter) => {
    window.__cmp.calls.push([command, version]);
    if (command === "addEventListener") {
      const id = next++;
      listeners.set(id, callback);
      if (current) callback({ ...current, listenerId: id }, true);
    } else if (command === "removeEventListener") {
      callback(listeners.delete(parameter));
    }
  };
  if (initial) setTimeout(() => window.__cmp.answer(initial), delayMs);
}

const consents = (...ids) => Object.fromEntries(ids.map((id) => [id, true]));
const ALL = consents(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);

test("TCF: purposes 1, 5 and 6 granted: perso stores its state, consent-gated campaigns run, the state survives the next page", async () => {
  const { context, page } = await newPage(tcfStub, { initial: { gdprApplies: true, eventStatus: "tcloaded", purpose: { consents: ALL } } });
  await page.goto(`${demo.url}/`, { referer: GADGETS });
  await settled(page);
  assert.equal(await hero(page), "aff-hero");
  await assertStored(page);
  assert.ok((await page.evaluate(() => window.__cmp.calls)).some(([command, version]) => command === "addEventListener" && version === 2));
  await page.goto(`${demo.url}/category/audio`);
  await settled(page);
  assert.equal((await storedVisitor(page)).session.pages, 2, "the returning page adopted the stored state");
  assert.equal(await hero(page), "aff-hero", "affiliate attribution held");
  await context.close();
});

test("TCF: purpose 6 refused: nothing stored, consent-gated campaigns excluded; a later withdrawal erases what a grant stored", async () => {
  const refused = { ...ALL, 6: false };
  const { context, page } = await newPage(tcfStub, { initial: { gdprApplies: true, eventStatus: "tcloaded", purpose: { consents: refused } } });
  await page.goto(`${demo.url}/`, { referer: GADGETS });
  await settled(page);
  assert.equal(await hero(page), null, "the consent-gated hero is excluded");
  assert.deepEqual(await persoKeys(page), []);
  // The shopper opens the CMP again and accepts everything, then withdraws.
  await page.evaluate((all) => window.__cmp.answer({ gdprApplies: true, eventStatus: "useractioncomplete", purpose: { consents: all } }), ALL);
  assert.equal(await hero(page), "aff-hero");
  await assertStored(page);
  await page.evaluate(() => window.__cmp.answer({ gdprApplies: true, eventStatus: "useractioncomplete", purpose: { consents: { 1: true } } }));
  assert.deepEqual(await persoKeys(page), [], "withdrawal erased perso's keys");
  assert.equal(await hero(page), null);
  await context.close();
});

test("TCF: while the banner is up (cmpuishown) nothing is stored; accepting stores; GDPR not applying allows", async () => {
  const { context, page } = await newPage(tcfStub, { initial: { gdprApplies: true, eventStatus: "cmpuishown", purpose: { consents: {} } } });
  await page.goto(`${demo.url}/`, { referer: GADGETS });
  await settled(page);
  assert.deepEqual(await persoKeys(page), []);
  assert.equal(await hero(page), null);
  await page.evaluate((all) => window.__cmp.answer({ gdprApplies: true, eventStatus: "useractioncomplete", purpose: { consents: all } }), ALL);
  await assertStored(page);
  await context.close();

  const outside = await newPage(tcfStub, { initial: { gdprApplies: false, eventStatus: "tcloaded", purpose: { consents: {} } } });
  await outside.page.goto(`${demo.url}/`, { referer: GADGETS });
  await settled(outside.page);
  assert.equal(await hero(outside.page), "aff-hero");
  await assertStored(outside.page);
  await outside.context.close();
});

test("TCF: a CMP slower than perso's wait: perso decides without consent, then applies the grant when it comes", async () => {
  const { context, page } = await newPage(tcfStub, { initial: { gdprApplies: true, eventStatus: "tcloaded", purpose: { consents: ALL } }, delayMs: 2500 });
  await page.goto(`${demo.url}/`, { referer: GADGETS });
  await settled(page);
  assert.equal(await hero(page), null);
  assert.deepEqual(await persoKeys(page), []);
  await page.waitForFunction(() => window.perso.decision()?.placements.some((p) => p.placement === "hero"), null, { timeout: 5000 });
  await assertStored(page);
  await context.close();
});

/** Shopify's storefront globals: `Shopify.customerPrivacy` now, or only `Shopify.loadFeatures` (which installs it). */
function shopifyStub({ allowed, viaLoadFeatures = false }) {
  const api = {
    preferencesProcessingAllowed: () => window.__shopifyAllowed,
    currentVisitorConsent: () => ({ preferences: window.__shopifyAllowed ? "yes" : "", analytics: "", marketing: "", sale_of_data: "" }),
  };
  window.__shopifyAllowed = allowed;
  window.Shopify = { shop: "gizmos.myshopify.com", routes: { root: "/" } };
  if (viaLoadFeatures) {
    window.Shopify.loadFeatures = (features, callback) => {
      window.__loaded = features;
      setTimeout(() => {
        window.Shopify.customerPrivacy = api;
        callback(false);
      }, 30);
    };
  } else {
    window.Shopify.customerPrivacy = api;
  }
  // What Shopify does when the shopper answers its banner.
  window.__shopifyAnswer = (preferencesAllowed) => {
    window.__shopifyAllowed = preferencesAllowed;
    document.dispatchEvent(new CustomEvent("visitorConsentCollected", { detail: { preferencesAllowed, analyticsAllowed: preferencesAllowed, marketingAllowed: false, saleOfDataAllowed: false } }));
  };
}

test("Shopify Customer Privacy: nothing stored before the shopper allows preferences; allowing stores; declining erases", async () => {
  const { context, page } = await newPage(shopifyStub, { allowed: false });
  await page.goto(`${demo.url}/`, { referer: GADGETS });
  await settled(page);
  assert.deepEqual(await persoKeys(page), []);
  assert.equal(await hero(page), null, "consent-gated campaign excluded");
  await page.evaluate(() => window.__shopifyAnswer(true));
  assert.equal(await hero(page), "aff-hero");
  await assertStored(page);
  await page.evaluate(() => window.__shopifyAnswer(false));
  assert.deepEqual(await persoKeys(page), []);
  await context.close();
});

test("Shopify Customer Privacy loaded by perso through Shopify.loadFeatures: a region where it is allowed stores at once", async () => {
  const { context, page } = await newPage(shopifyStub, { allowed: true, viaLoadFeatures: true });
  await page.goto(`${demo.url}/`, { referer: GADGETS });
  await settled(page);
  assert.deepEqual(await page.evaluate(() => window.__loaded), [{ name: "consent-tracking-api", version: "0.1" }]);
  assert.equal(await hero(page), "aff-hero");
  await assertStored(page);
  await context.close();
});

test("a store's own consent adapter, queued before perso loads: grants after its banner, a withdrawal erases", async () => {
  const { context, page } = await newPage(() => {
    window.perso = [["consentAdapter", (report) => {
      window.__report = report;
      report(null); // still asking
    }]];
  });
  await page.goto(`${demo.url}/`, { referer: GADGETS });
  await settled(page);
  assert.deepEqual(await persoKeys(page), []);
  assert.equal(await consentInContext(page), undefined);
  await page.evaluate(() => window.__report(true));
  assert.equal(await hero(page), "aff-hero");
  await assertStored(page);
  await page.evaluate(() => window.__report(false));
  assert.deepEqual(await persoKeys(page), []);
  // Attached after load through the API, too.
  await page.evaluate(() => window.perso.consentAdapter((report) => report(true)));
  await assertStored(page);
  await context.close();
});

test("Google Consent Mode granted before perso loads, with data-consent=\"required\": the state survives the next page", async () => {
  const { context, page } = await newPage(() => {
    window.dataLayer = [["consent", "default", { personalization_storage: "granted" }]];
  });
  await page.route(/\/(category\/audio)?(\?.*)?$/, async (route) => {
    const response = await route.fetch();
    await route.fulfill({ response, body: (await response.text()).replace("data-bundle=", 'data-consent="required" data-bundle=') });
  });
  await page.goto(`${demo.url}/`, { referer: GADGETS });
  await settled(page);
  assert.equal(await hero(page), "aff-hero");
  await assertStored(page);
  await page.goto(`${demo.url}/category/audio`);
  await settled(page);
  assert.equal((await storedVisitor(page)).session.pages, 2, "not a fresh visitor on every page");
  await context.close();
});

