// Preview links end to end in headless Chromium (docs/browser-runtime.md, "Preview
// links"): drafts made by the real CLI (`perso keygen`, `perso publish --preview`), the
// demo storefront listing the preview key in data-preview-keys and serving the draft at
// /perso/preview/. The published bundle shows its hero, the preview link the draft's,
// with a visible marker; forcing a campaign and a variant; refusals (a preview key the
// page does not list, a draft signed with the production key, another origin, an
// expired draft, a page without preview keys) leave production as usual; and the device
// is byte for byte as it was after a preview visit, and nothing is left to undo after it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { launchBrowser, startDemo, instrumentPage, settled, persoEvents, slotText, shot, storedVisitor } from "./helpers.mjs";
import { renderPlacement } from "../../edge/src/slot-markup.js";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const BUNDLE = JSON.parse(readFileSync(`${repo}www/bundle.json`, "utf8"));
const GADGETS = "https://gadgets.com/reviews/quiet-pro";
const PRODUCTION_HERO = /Welcome, Gadgets\.com readers/;
const DRAFT_HERO = /Draft: a new look for Gadgets\.com readers/;

/** The marketers' CLI, as they run it (`cargo run -p perso-cli`). */
const perso = (...args) => execFileSync("cargo", ["run", "-q", "-p", "perso-cli", "--", ...args], { cwd: repo, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

let work, keys, demo, browser, draft;

/** The draft a marketer previews: the affiliate hero rewritten, and a seasonal hero with an A/B test that no visitor matches yet. */
function draftBundle() {
  const bundle = structuredClone(BUNDLE);
  bundle.campaigns.find((c) => c.id === "aff-hero").action.title = "Draft: a new look for Gadgets.com readers";
  bundle.campaigns.push({
    id: "spring-hero",
    placement: "hero",
    priority: 1,
    segments: ["from_gadgets"],
    schedule: { start: "2030-03-01T00:00:00Z" },
    experiment: { salt: "spring-2030", holdout: 10, variants: [{ id: "a", weight: 45 }, { id: "b", weight: 45, action: { kind: "banner", title: "Spring sale, variant B" } }] },
    action: { kind: "banner", title: "Spring sale, variant A" },
    why: "A seasonal offer.",
  });
  return bundle;
}

/** `perso publish --preview` of `bundle` with `key` into `outDir`; returns `{ serial, link, dir }`. */
function publishPreview(bundle, key, outDir, extra = []) {
  const input = join(work, `draft-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(input, JSON.stringify(bundle, null, 2));
  const stdout = perso("publish", input, "--preview", "--key", key, "--out-dir", outDir, "--served-at", "/perso/", "--page", `${demo?.url ?? "https://shop.example"}/`, ...extra);
  return {
    serial: Number(/preview draft serial (\d+)/.exec(stdout)[1]),
    link: /preview link: (\S+)/.exec(stdout)[1],
    dir: join(outDir, "preview"),
    stdout,
  };
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), "perso-preview-"));
  keys = join(work, "keys"); // outside any git work tree, as `perso keygen` requires
  const previewPublic = perso("keygen", "--kid", "preview-qa", "--dir", keys).trim();
  assert.match(previewPublic, /^preview-qa:[A-Za-z0-9+/=]{44}$/);
  perso("keygen", "--kid", "preview-intruder", "--dir", keys);
  // Production at serial 50: a draft (serial 2) would be a rollback if it were production.
  const production = join(work, "production.json");
  writeFileSync(production, JSON.stringify({ ...BUNDLE, serial: 50 }));
  demo = await startDemo({ bundlePath: production, previewKeys: previewPublic, previewDir: join(work, "site", "preview") });
  draft = publishPreview(draftBundle(), join(keys, "preview-qa.key"), join(work, "site"));
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await demo?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function newPage(contextOptions = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...contextOptions });
  const page = await context.newPage();
  const log = await instrumentPage(page);
  return { context, page, log };
}

/** Everything a page could have stored: localStorage, sessionStorage, cookies (as the browser keeps them). */
async function deviceState(context, page) {
  const webStorage = await page.evaluate(() => {
    const all = (store) => Object.fromEntries(Object.keys(store).sort().map((k) => [k, store.getItem(k)]));
    return { local: all(localStorage), session: all(sessionStorage), cookie: document.cookie };
  });
  return { ...webStorage, cookies: await context.cookies() };
}

const marker = (page) => page.evaluate(() => document.querySelector("perso-preview")?.shadowRoot.textContent ?? null);
const perKeys = (page) => page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("perso")));

/** Serves a draft's files at another site path (as a second `perso publish --preview` would). */
async function serveDraftAt(page, path, bytes, sig) {
  await page.route(`${demo.url}${path}`, (route) => route.fulfill({ contentType: "application/octet-stream", body: bytes }));
  await page.route(`${demo.url}${path}.sig`, (route) => route.fulfill({ contentType: "application/json", body: sig }));
}

test("the published page shows its hero; the preview link the draft's, marked, writing nothing; leaving it leaves no trace", async () => {
  const { context, page, log } = await newPage();
  await page.goto(`${demo.url}/`, { referer: GADGETS });
  await settled(page);
  assert.match(await slotText(page, "hero"), PRODUCTION_HERO);
  assert.equal(await marker(page), null, "no marker in production");
  const before = await deviceState(context, page);
  assert.equal(before.local["perso:v1:serial"], "50");
  const pagesBefore = (await storedVisitor(page)).session.pages;

  // The link exactly as `perso publish --preview` printed it.
  assert.equal(draft.link, `${demo.url}/?perso_preview=/perso/preview/bundle.bin`);
  assert.equal(draft.serial, 2, "a draft's serial may be below production's: no rollback check");
  await page.goto(draft.link);
  await settled(page);
  assert.match(await slotText(page, "hero"), DRAFT_HERO, "the draft's hero, for the real visitor (attribution from the stored state)");
  assert.match(await marker(page), /^perso preview · serial 2 Leave preview$/);
  // The marker is on top of the page's content where it sits.
  const onTop = await page.evaluate(() => {
    const box = document.querySelector("perso-preview").shadowRoot.querySelector(".marker").getBoundingClientRect();
    return box.width > 0 && box.height > 0 && document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2)?.tagName === "PERSO-PREVIEW";
  });
  assert.ok(onTop, "the marker is visible above the page");
  await shot(page, "preview-1-draft-marked");

  // The draft was fetched like production: a plain GET of a same-origin path, no query, no Referer, no cookie.
  const draftGets = log.requests.filter((r) => new URL(r.url).pathname.startsWith("/perso/preview/"));
  assert.deepEqual(draftGets.map((r) => new URL(r.url).pathname).sort(), ["/perso/preview/bundle.bin", "/perso/preview/bundle.bin.sig"]);
  for (const request of draftGets) {
    const headers = await request.headers;
    assert.equal(request.method, "GET");
    assert.ok(!("referer" in headers) && !("cookie" in headers), `${request.url} carried ${Object.keys(headers)}`);
  }

  // What a marketer does while looking: a cart, a click on the hero, a route change.
  await page.evaluate(() => {
    document.addEventListener("click", (event) => event.preventDefault(), true); // stay on the page
    window.perso.setCart([{ sku: "HP-100", category: "audio", price: 199, qty: 1 }, { sku: "SP-200", category: "audio", price: 79, qty: 1 }]);
    document.querySelector("[data-perso-slot=hero]").shadowRoot.querySelector("a.cta").click();
    history.pushState({}, "", `/category/audio${location.search}`);
  });
  await page.waitForFunction(() => window.__persoEvents.filter((e) => e.type === "perso:decision").length >= 3);
  assert.match(await slotText(page, "cross_sell"), /Readers of Gadgets\.com also bought/, "the cart is used in memory");
  const events = await persoEvents(page);
  assert.ok(events.some((e) => e.type === "perso:click" && e.detail.campaign === "aff-hero"));
  for (const event of events) assert.equal(event.detail.preview, true, `${event.type} carries preview: true`);
  assert.equal(events.find((e) => e.type === "perso:decision").detail.serial, 2);
  assert.deepEqual(await deviceState(context, page), before, "localStorage, sessionStorage and cookies byte for byte as before the preview");

  // Leaving: the marker's link is the same page with perso_preview=off: production, nothing to undo.
  await page.goto(draft.link);
  await settled(page);
  await page.locator("perso-preview a").click();
  await page.waitForURL(/perso_preview=off/);
  await settled(page);
  assert.match(await slotText(page, "hero"), PRODUCTION_HERO);
  assert.equal(await marker(page), null);
  assert.ok((await persoEvents(page)).every((e) => !("preview" in e.detail)), "production events carry no preview flag");
  const after = await deviceState(context, page);
  assert.equal(after.local["perso:v1:serial"], "50", "the draft's serial was never remembered");
  assert.equal(JSON.parse(after.local["perso:v2:bundle"]).serial, 50, "the cached bundle is production's");
  assert.equal(after.local["perso:v1:cart"], before.local["perso:v1:cart"], "the preview's cart was not kept");
  const visitor = await storedVisitor(page);
  assert.equal(visitor.session.pages, pagesBefore + 1, "only this production page view was added (not the preview's three)");
  assert.equal(visitor.campaigns?.find((c) => c.id === "aff-hero")?.clicks ?? 0, 0, "the preview's click was not recorded");
  assert.deepEqual(after.cookies, []);
  assert.deepEqual(log.pageErrors, []);
  await context.close();
});

test("perso_campaign and perso_variant force a campaign past its segments and schedule; unknown ids are named, nothing forced", async () => {
  const forced = publishPreview(draftBundle(), join(keys, "preview-qa.key"), join(work, "site"), ["--force-campaign", "spring-hero", "--force-variant", "b"]);
  assert.equal(forced.link, `${demo.url}/?perso_preview=/perso/preview/bundle.bin&perso_campaign=spring-hero&perso_variant=b`);
  const { context, page } = await newPage();
  // A new visitor, not from the affiliate, long before the campaign starts.
  await page.goto(forced.link);
  await settled(page);
  assert.match(await slotText(page, "hero"), /Spring sale, variant B/);
  assert.match(await marker(page), /perso preview · serial 2 · campaign spring-hero · variant b/);
  const decision = await page.evaluate(() => window.perso.decision());
  assert.deepEqual(decision.placements.find((p) => p.placement === "hero"), { ...decision.placements.find((p) => p.placement === "hero"), campaign: "spring-hero", variant: "b" });
  assert.ok(decision.placements.some((p) => p.campaign === "anon-register"), "other placements decide as usual with the draft");
  await shot(page, "preview-2-forced-variant");

  // The campaign alone: the visitor's own bucket (a variant of the experiment).
  await page.goto(`${demo.url}/?perso_preview=/perso/preview/bundle.bin&perso_campaign=aff-hero`);
  await settled(page);
  assert.match(await slotText(page, "hero"), DRAFT_HERO, "the affiliate hero for a visitor who is not from the affiliate");

  for (const [query, note] of [
    ["perso_campaign=nope", "no campaign nope in this draft"],
    ["perso_campaign=spring-hero&perso_variant=zz", "campaign spring-hero has no variant zz in this draft"],
  ]) {
    await page.goto(`${demo.url}/?perso_preview=/perso/preview/bundle.bin&${query}`);
    await settled(page);
    assert.equal(await marker(page), `perso preview · serial 2 · ${note} Leave preview`);
    assert.equal(await slotText(page, "hero"), "", `nothing forced for ${query}`);
  }
  assert.deepEqual(await perKeys(page), [], "a new visitor's previews stored nothing");
  await context.close();

  // Consent is still honoured: a consent-gated campaign is not forced with Global Privacy Control on.
  const gpc = await newPage();
  await gpc.page.addInitScript(() => Object.defineProperty(Navigator.prototype, "globalPrivacyControl", { get: () => true }));
  await gpc.page.goto(`${demo.url}/?perso_preview=/perso/preview/bundle.bin&perso_campaign=interest-hero-audio`);
  await settled(gpc.page);
  assert.equal(await slotText(gpc.page, "hero"), "");
  assert.match(await marker(gpc.page), /campaign interest-hero-audio is not shown \(consent, or nothing to show\)/);
  await gpc.context.close();
});

test("refused previews: production as usual, perso:error with preview: true, the marker says so, nothing stored", async () => {
  const intruder = publishPreview(draftBundle(), join(keys, "preview-intruder.key"), join(work, "intruder"));
  const draftBytes = readFileSync(join(draft.dir, "bundle.bin"));
  const expired = publishPreview(draftBundle(), join(keys, "preview-qa.key"), join(work, "expired"), ["--now", "2026-11-01T00:00:00Z"]);
  const intruderSig = readFileSync(join(intruder.dir, "bundle.bin.sig"), "utf8");
  const cases = [
    { name: "a preview key the page does not list", code: "preview_untrusted", reason: "the draft is not signed with a preview key this page lists", path: "/perso/intruder/bundle.bin",
      files: [readFileSync(join(intruder.dir, "bundle.bin")), intruderSig] },
    { name: "a forged signature (the listed kid, another key)", code: "signature_mismatch", reason: "the draft's signature does not verify", path: "/perso/forged/bundle.bin",
      files: [readFileSync(join(intruder.dir, "bundle.bin")), intruderSig.replace('"preview-intruder"', '"preview-qa"')] },
    { name: "a draft signed with the production key", code: "preview_untrusted", reason: "the draft is not signed with a preview key this page lists", path: "/perso/prod-signed/bundle.bin",
      files: [draftBytes, await demo.key.sign(draftBytes)] },
    { name: "an expired draft", code: "expired", reason: "the draft has expired", path: "/perso/expired/bundle.bin",
      files: [readFileSync(join(expired.dir, "bundle.bin")), readFileSync(join(expired.dir, "bundle.bin.sig"), "utf8")] },
    { name: "an unknown draft (404)", code: "bundle_fetch", reason: "the draft could not be fetched", path: "/perso/preview/nope.bin" },
    { name: "another origin (//host)", code: "preview_untrusted", reason: "the draft is not on this site", path: "//evil.example/perso/preview/bundle.bin" },
    { name: "another origin (https://)", code: "preview_untrusted", reason: "the draft is not on this site", path: "https://evil.example/perso/preview/bundle.bin" },
    { name: "a page without data-preview-keys", code: "preview_untrusted", reason: "this page lists no preview keys", path: "/perso/preview/bundle.bin", noKeys: true },
  ];
  for (const c of cases) {
    const { context, page, log } = await newPage();
    if (c.files) await serveDraftAt(page, c.path, ...c.files);
    if (c.noKeys) {
      await page.route(/\/(\?.*)?$/, async (route) => {
        const response = await route.fetch();
        await route.fulfill({ response, body: (await response.text()).replace(/ data-preview-keys="[^"]*"/, "") });
      });
    }
    await page.goto(`${demo.url}/?perso_preview=${encodeURIComponent(c.path)}`, { referer: GADGETS });
    await settled(page);
    await page.waitForFunction(() => window.__persoEvents.some((e) => e.type === "perso:error"));
    assert.match(await slotText(page, "hero"), PRODUCTION_HERO, `${c.name}: production's hero`);
    const errors = (await persoEvents(page, "perso:error")).map((e) => e.detail);
    assert.deepEqual(errors.map(({ code, preview }) => ({ code, preview })), [{ code: c.code, preview: true }], `${c.name}: ${JSON.stringify(errors)}`);
    assert.equal(await marker(page), `perso preview refused: ${c.reason} (${c.code}) · the published site is shown Leave preview`, c.name);
    assert.deepEqual(await perKeys(page), [], `${c.name}: nothing stored`);
    assert.deepEqual(await context.cookies(), []);
    for (const request of log.requests) assert.equal(new URL(request.url).origin, demo.url, `${c.name}: a request left the origin: ${request.url}`);
    if (!c.files && c.code === "preview_untrusted") {
      const draftGets = log.requests.map((r) => new URL(r.url)).filter((u) => u.pathname.startsWith("/perso/preview/") || u.hostname === "evil.example");
      assert.deepEqual(draftGets.map(String), [], `${c.name}: refused before any GET of the draft`);
    }
    // The marker is on screen, above the page.
    assert.ok(await page.locator("perso-preview .marker").isVisible(), `${c.name}: the refusal is visible`);
    if (c.code === "preview_untrusted" && c.files) await shot(page, "preview-3-refused");
    await context.close();
  }
});

test("behind the edge: a preview re-renders the edge's slots with the draft and writes no hand-off cookie", async () => {
  const { context, page } = await newPage();
  const aff = BUNDLE.campaigns.find((c) => c.id === "aff-hero");
  const markup = renderPlacement({ placement: "hero", campaign: "aff-hero", action: aff.action, why: aff.why }, { safeUrl: (url) => url.startsWith("/") });
  await page.route(/\/(\?.*)?$/, async (route) => {
    const response = await route.fetch();
    const html = (await response.text())
      .replace("<html", '<html data-perso-edge="50"')
      .replace(/<div data-perso-slot="hero" data-perso-wait>[\s\S]*?<\/div>\n<\/div>/, `<div data-perso-slot="hero" data-perso-rendered="aff-hero" data-perso-decided>${markup}</div>`);
    await route.fulfill({ response, body: html });
  });
  await page.goto(draft.link, { referer: GADGETS });
  await settled(page);
  assert.ok(await page.evaluate(() => document.querySelector("[data-perso-slot=hero]").hasAttribute("data-perso-rendered")), "an edge page");
  assert.match(await slotText(page, "hero"), DRAFT_HERO, "re-rendered with the draft, not adopted");
  await page.evaluate(() => {
    document.addEventListener("click", (event) => event.preventDefault(), true);
    document.querySelector("[data-perso-slot=hero]").shadowRoot.querySelector("a.cta").click();
    window.perso.setCart([{ sku: "HP-100", category: "audio", price: 199, qty: 1 }]);
  });
  assert.deepEqual(await context.cookies(), [], "no perso_client / perso_cart cookie");
  assert.deepEqual(await perKeys(page), []);
  await context.close();
});
