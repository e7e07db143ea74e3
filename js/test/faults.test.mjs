// Fault tolerance, end to end in headless Chromium: every way the bundle, storage or
// engine can fail leaves the page's default content in place, raises exactly one
// `perso:error` and one console message saying why, and never throws into the page.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  launchBrowser, startDemo, instrumentPage, settled, persoEvents, slotText, makeSigningKey, shot,
} from "./helpers.mjs";
import { STORAGE_KEYS } from "../src/storage.js";

const BUNDLE_TEXT = readFileSync(new URL("../../www/bundle.json", import.meta.url), "utf8");
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

/** A bundle variant: `edit(bundleObject)` then serialized. */
function bundleWith(edit) {
  const bundle = JSON.parse(BUNDLE_TEXT);
  edit(bundle);
  return JSON.stringify(bundle, null, 1);
}

/** Serves `body` (and `sig`) at the bundle URLs for this page. */
async function serveBundle(page, { body, status = 200, sig, sigStatus = 200 }) {
  await page.route(`${demo.url}/perso/bundle.json`, (route) =>
    route.fulfill({ status, contentType: "application/json", body }));
  if (sig !== undefined) {
    await page.route(`${demo.url}/perso/bundle.json.sig`, (route) =>
      route.fulfill({ status: sigStatus, contentType: "application/json", body: sig }));
  }
}

async function newPage() {
  const context = await browser.newContext();
  const page = await context.newPage();
  const log = await instrumentPage(page);
  return { context, page, log };
}

/** Exactly one perso:error with `code`, one perso console message, defaults in place. */
async function assertOneError(page, log, code, { defaults = true } = {}) {
  await page.waitForFunction(() => window.__persoEvents.some((e) => e.type === "perso:error"));
  await page.waitForTimeout(300); // time for a (wrong) second report to show up
  const errors = await persoEvents(page, "perso:error");
  assert.equal(errors.length, 1, `one perso:error, got ${JSON.stringify(errors)}`);
  assert.equal(errors[0].detail.code, code, errors[0].detail.message);
  assert.ok(errors[0].detail.message.length > 10);
  const messages = log.console.filter((m) => m.text.startsWith("perso:"));
  assert.equal(messages.length, 1, `one console message, got ${JSON.stringify(messages)}`);
  assert.deepEqual(log.pageErrors, [], "nothing thrown into the page");
  if (defaults) {
    assert.equal(await slotText(page, "hero"), "", "the hero slot keeps its default content");
    assert.ok(await page.isVisible(".hero-default"), "default hero visible");
    assert.equal(await page.locator("perso-popup").count(), 0);
  }
  return errors[0].detail;
}

test("bundle 404: defaults, one error", async () => {
  const { context, page, log } = await newPage();
  await serveBundle(page, { status: 404, body: "not found" });
  await page.goto(`${demo.url}/`, { referer: GADGETS });
  const detail = await assertOneError(page, log, "bundle_fetch");
  assert.match(detail.message, /HTTP 404/);
  await shot(page, "fault-bundle-404");
  await context.close();
});

test("bundle 500: defaults, one error", async () => {
  const { context, page, log } = await newPage();
  await serveBundle(page, { status: 500, body: "oops" });
  await page.goto(`${demo.url}/`, { referer: GADGETS });
  assert.match((await assertOneError(page, log, "bundle_fetch")).message, /HTTP 500/);
  await context.close();
});

test("signature file missing: defaults, one error", async () => {
  const { context, page, log } = await newPage();
  await serveBundle(page, { body: BUNDLE_TEXT, sig: "not found", sigStatus: 404 });
  await page.goto(`${demo.url}/`, { referer: GADGETS });
  assert.match((await assertOneError(page, log, "bundle_fetch")).message, /signature/);
  await context.close();
});

test("truncated bundle (original signature): refused by the signature check", async () => {
  const { context, page, log } = await newPage();
  await serveBundle(page, { body: BUNDLE_TEXT.slice(0, 2000), sig: await demo.key.sign(BUNDLE_TEXT) });
  await page.goto(`${demo.url}/`, { referer: GADGETS });
  await assertOneError(page, log, "signature_mismatch");
  await context.close();
});

test("truncated bundle signed as it is: refused by the engine with a JSON error", async () => {
  const { context, page, log } = await newPage();
  const truncated = BUNDLE_TEXT.slice(0, 2000);
  await serveBundle(page, { body: truncated, sig: await demo.key.sign(truncated) });
  await page.goto(`${demo.url}/`, { referer: GADGETS });
  await assertOneError(page, log, "bundle_json");
  await context.close();
});

test("tampered bundle (one offer changed after signing): refused", async () => {
  const { context, page, log } = await newPage();
  const tampered = BUNDLE_TEXT.replace("10% off your next purchase", "90% off your next purchase");
  assert.notEqual(tampered, BUNDLE_TEXT);
  await serveBundle(page, { body: tampered, sig: await demo.key.sign(BUNDLE_TEXT) });
  await page.goto(`${demo.url}/`, { referer: GADGETS });
  await assertOneError(page, log, "signature_mismatch");
  await context.close();
});

test("bundle signed with another key: refused", async () => {
  const { context, page, log } = await newPage();
  const stranger = await makeSigningKey("demo");
  await serveBundle(page, { body: BUNDLE_TEXT, sig: await stranger.sign(BUNDLE_TEXT) });
  await page.goto(`${demo.url}/`, { referer: GADGETS });
  await assertOneError(page, log, "signature_mismatch");
  await context.close();
});

test("key rotation: data-key with kids picks the signature's key; an unknown kid is refused", async () => {
  const next = await makeSigningKey("2027");
  const rewriteKeys = async (page, keys) =>
    page.route(`${demo.url}/`, async (route) => {
      const response = await route.fetch();
      const html = (await response.text()).replace(/data-key="[^"]*"/, `data-key="${keys}"`);
      await route.fulfill({ response, body: html });
    });

  // Signed by the new key under its kid, the page trusting both keys: accepted.
  let { context, page } = await newPage();
  await rewriteKeys(page, `demo:${demo.key.publicKeyBase64} 2027:${next.publicKeyBase64}`);
  await serveBundle(page, { body: BUNDLE_TEXT, sig: await next.sign(BUNDLE_TEXT, "2027") });
  await page.goto(`${demo.url}/`, { referer: GADGETS });
  await settled(page);
  assert.match(await slotText(page, "hero"), /Gadgets\.com readers/);
  assert.deepEqual(await persoEvents(page, "perso:error"), []);
  await context.close();

  // A kid the page does not list: refused.
  let log;
  ({ context, page, log } = await newPage());
  await rewriteKeys(page, `demo:${demo.key.publicKeyBase64}`);
  await serveBundle(page, { body: BUNDLE_TEXT, sig: await next.sign(BUNDLE_TEXT, "2027") });
  await page.goto(`${demo.url}/`, { referer: GADGETS });
  assert.match((await assertOneError(page, log, "signature_untrusted")).message, /"2027"/);
  await context.close();
});

test("expired bundle: refused", async () => {
  const { context, page, log } = await newPage();
  const expired = bundleWith((b) => {
    b.issued_at = "2024-01-01T00:00:00Z";
    b.expires_at = "2025-01-01T00:00:00Z";
  });
  await serveBundle(page, { body: expired, sig: await demo.key.sign(expired) });
  await page.goto(`${demo.url}/`, { referer: GADGETS });
  await assertOneError(page, log, "expired");
  await context.close();
});

test("oversized bundle: refused before it is parsed", async () => {
  const { context, page, log } = await newPage();
  const huge = BUNDLE_TEXT + " ".repeat(600 * 1024); // valid JSON, validly signed, too big
  await serveBundle(page, { body: huge, sig: await demo.key.sign(huge) });
  await page.goto(`${demo.url}/`, { referer: GADGETS });
  assert.match((await assertOneError(page, log, "bundle_too_large")).message, /at most 524288/);
  await context.close();
});

test("rollback: a bundle older than the last accepted one is refused; the cached newer bundle stays in use", async () => {
  const { context, page, log } = await newPage();
  const newer = bundleWith((b) => {
    b.serial = 7;
  });
  // Visit 1 accepts serial 7 (and caches it).
  await serveBundle(page, { body: newer, sig: await demo.key.sign(newer) });
  await page.goto(`${demo.url}/`, { referer: GADGETS });
  await settled(page);
  assert.equal(await page.evaluate(() => window.perso.decision().serial), 7);
  assert.equal(await page.evaluate((k) => localStorage.getItem(k), STORAGE_KEYS.serial), "7");

  // Visit 2: the server (or an attacker replaying an old file) serves serial 1.
  await page.unrouteAll();
  log.console.length = 0;
  await page.goto(`${demo.url}/category/audio`);
  await assertOneError(page, log, "rollback", { defaults: false });
  assert.equal(await page.evaluate(() => window.perso.decision().serial), 7, "decided with the cached serial 7");
  assert.match(await slotText(page, "hero"), /Gadgets\.com readers/, "the cached bundle keeps the session's attribution");

  // Visit 3 with the cache gone (evicted) but the accepted serial remembered: defaults.
  await page.evaluate((k) => localStorage.removeItem(k), STORAGE_KEYS.bundle);
  log.console.length = 0;
  await page.goto(`${demo.url}/category/audio`);
  await assertOneError(page, log, "rollback");
  assert.equal(await page.evaluate(() => window.perso.decision()), null);
  await context.close();
});

test("cached bundle decides before the network: the page decides even when the bundle request hangs", async () => {
  const { context, page } = await newPage();
  await page.goto(`${demo.url}/`, { referer: GADGETS });
  await settled(page);
  // Next page: the bundle request never answers; the cached copy is enough.
  await page.route(`${demo.url}/perso/bundle.json`, () => {});
  await page.goto(`${demo.url}/category/audio`);
  await settled(page);
  assert.match(await slotText(page, "hero"), /Gadgets\.com readers/);
  await context.close();
});

test("localStorage throwing on every call: decided from the page alone, one error, nothing thrown", async () => {
  const { context, page, log } = await newPage();
  await page.addInitScript(() => {
    for (const method of ["getItem", "setItem", "removeItem"]) {
      Storage.prototype[method] = () => {
        throw new DOMException("The operation is insecure.", "SecurityError");
      };
    }
  });
  await page.goto(`${demo.url}/`, { referer: GADGETS });
  await settled(page);
  await assertOneError(page, log, "storage_unavailable", { defaults: false });
  assert.match(await slotText(page, "hero"), /Gadgets\.com readers/, "the page alone still personalizes");
  await context.close();
});

test("localStorage full (QuotaExceededError on writes): in memory, one error, nothing thrown", async () => {
  const { context, page, log } = await newPage();
  await page.addInitScript(() => {
    const setItem = Storage.prototype.setItem;
    Storage.prototype.setItem = function setItemWhenFull(key, value) {
      if (String(key).startsWith("perso:")) throw new DOMException("Quota exceeded", "QuotaExceededError");
      return setItem.call(this, key, value);
    };
  });
  await page.goto(`${demo.url}/`);
  await assertOneError(page, log, "storage_unavailable");
  assert.deepEqual(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("perso:"))), []);
  await context.close();
});

test("the wasm fails to load: defaults, one error", async () => {
  const { context, page, log } = await newPage();
  await page.route(`${demo.url}/perso/pkg/perso_bg.wasm`, (route) => route.fulfill({ status: 404, body: "" }));
  await page.goto(`${demo.url}/`, { referer: GADGETS });
  await assertOneError(page, log, "wasm_load");
  await context.close();
});

test("a trap inside the engine (its memory corrupted): rendering dropped back to defaults, one error", async () => {
  const { context, page, log } = await newPage();
  // Keep a handle on the engine's real instance so the test can corrupt its memory.
  await page.addInitScript(() => {
    const keep = (result) => {
      window.__persoWasm = result.instance ?? result;
      return result;
    };
    const { instantiate, instantiateStreaming } = WebAssembly;
    WebAssembly.instantiateStreaming = (...args) => instantiateStreaming(...args).then(keep);
    WebAssembly.instantiate = (...args) => instantiate(...args).then(keep);
  });
  await page.goto(`${demo.url}/`, { referer: GADGETS });
  await settled(page);
  assert.match(await slotText(page, "hero"), /Gadgets\.com readers/);
  // Overwrite the engine's heap with 0xFF: its allocator's next step reads a wild pointer and traps.
  await page.evaluate(() => {
    const memory = window.__persoWasm.exports.memory;
    new Uint8Array(memory.buffer).fill(0xff, 1024);
    window.perso.setCart([{ sku: "HP-100", category: "audio", price: 199, qty: 1 }]);
  });
  const detail = await assertOneError(page, log, "engine_trap");
  assert.match(detail.message, /crashed/);
  // Later calls do not touch the dead instance and do not report again.
  await page.evaluate(() => window.perso.setCart([]));
  await page.waitForTimeout(200);
  assert.equal((await persoEvents(page, "perso:error")).length, 1);
  await shot(page, "fault-engine-trap");
  await context.close();
});

test("no public key on the script tag: defaults, one error naming data-key", async () => {
  const unsigned = await startDemo({ sign: false });
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    const log = await instrumentPage(page);
    await page.goto(`${unsigned.url}/`, { referer: GADGETS });
    assert.match((await assertOneError(page, log, "key_missing")).message, /data-key/);
    await context.close();
  } finally {
    await unsigned.close();
  }
});

test("a cached bundle edited on the device is not used: dropped and replaced from the network", async () => {
  const { context, page } = await newPage();
  await page.goto(`${demo.url}/`, { referer: GADGETS });
  await settled(page);
  await page.evaluate((key) => {
    const cached = JSON.parse(localStorage.getItem(key));
    cached.text = cached.text.replace("10% off your next purchase", "90% off your next purchase");
    localStorage.setItem(key, JSON.stringify(cached));
  }, STORAGE_KEYS.bundle);
  // The network is slow this time: nothing may be decided from the edited copy meanwhile.
  await page.route(`${demo.url}/perso/bundle.json`, async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 300));
    await route.continue();
  });
  await page.goto(`${demo.url}/category/audio`);
  await settled(page);
  const decisions = await persoEvents(page, "perso:decision");
  assert.equal(decisions.length, 1, "one decision, from the network's bundle");
  const stored = await page.evaluate((key) => JSON.parse(localStorage.getItem(key)).text, STORAGE_KEYS.bundle);
  assert.ok(stored.includes("10% off your next purchase") && !stored.includes("90%"));
  await context.close();
});
