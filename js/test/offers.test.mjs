// Sealed offers end to end (issue 10, docs/offers.md), in real headless Chromium
// against the demo store (js/serve.mjs + js/demo/checkout.mjs): each scenario's offer
// redeemed only through a verified claim at a real checkout, and every attack refused
// at checkout with a reason the shopper reads on the page. The store side keeps its
// ledger in SQLite: concurrent redemptions, other processes on the same file and a
// restart are covered at the end.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import {
  launchBrowser, startDemo, instrumentPage, settled, popupText, persoEvents, claimFromPopup, assertEgress, shot,
} from "./helpers.mjs";
import { signToken, TYP, privateKeyFromSeed, newJti } from "../server/claims.mjs";
import { hostSection } from "../src/kit/index.js";
import { leanKit } from "../server/engine.mjs";

const root = new URL("../../", import.meta.url);
const clock = { offsetMs: 0 };
let demo;
let browser;

before(async () => {
  demo = await startDemo({ now: () => Date.now() + clock.offsetMs });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await demo?.close();
});

const CODE = /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/;
const email = () => `shopper-${newJti().toLowerCase()}@example.com`;

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const log = await instrumentPage(page);
  return { context, page, log };
}

/** The shop's own cart (what its add-to-cart buttons keep), set directly. */
const setCart = (page, lines) => page.evaluate((l) => localStorage.setItem("gizmos:cart", JSON.stringify(l)), lines);
const removePopups = (page) => page.evaluate(() => document.querySelectorAll("perso-popup").forEach((p) => p.remove()));
const quoted = (page) => page.evaluate(() => Number(document.body.dataset.quoted ?? 0));

async function afterQuote(page, action) {
  const before = await quoted(page);
  await action();
  await page.waitForFunction((n) => Number(document.body.dataset.quoted ?? 0) > n, before, { timeout: 10_000 });
}

/** What the checkout page shows: applied claims, refused ones with their reasons, the totals. */
const readCheckout = (page) => page.evaluate(() => ({
  applied: [...document.querySelectorAll("[data-applied] li")].map((li) => ({ campaign: li.dataset.campaign, text: li.textContent })),
  refused: [...document.querySelectorAll("[data-refused] li")].map((li) => ({ error: li.dataset.error, text: li.textContent })),
  discount: Number(document.querySelector("[data-discount]")?.dataset.discount),
  shipping: Number(document.querySelector("[data-shipping]")?.dataset.shipping),
  total: Number(document.querySelector("[data-total]")?.dataset.total),
}));

/**
 * Goes to /checkout, enters the email and each claim code on the page as a shopper
 * does, optionally places the order; returns what the checkout (and the order
 * confirmation) showed.
 */
async function checkout(page, { mail, codes = [], place = false }) {
  await page.goto(`${demo.url}/checkout`);
  await page.waitForFunction(() => Number(document.body.dataset.quoted ?? 0) >= 1, null, { timeout: 10_000 });
  await removePopups(page);
  if (mail) {
    await afterQuote(page, async () => {
      await page.fill("input[name=email]", mail);
      await page.locator("input[name=email]").dispatchEvent("change");
    });
  }
  for (const code of codes) {
    await removePopups(page);
    await afterQuote(page, async () => {
      await page.fill("input[name=claim]", code);
      await page.click("[data-apply]");
    });
  }
  const shown = await readCheckout(page);
  if (!place) return shown;
  await removePopups(page);
  await page.click("[data-place-order]");
  await page.waitForFunction(() => location.pathname.startsWith("/order/") || document.querySelector("[data-status]")?.textContent, null, { timeout: 10_000 });
  if (!page.url().includes("/order/")) return { ...shown, placed: null, status: await page.textContent("[data-status]") };
  await page.waitForSelector("[data-order] .notice");
  const order = await page.evaluate(() => ({
    id: location.pathname.split("/")[2],
    applied: [...document.querySelectorAll("[data-order] [data-applied] li")].map((li) => li.dataset.campaign),
    discount: Number(document.querySelector("[data-order] [data-discount]").dataset.discount),
    shipping: Number(document.querySelector("[data-order] [data-shipping]").dataset.shipping),
    total: Number(document.querySelector("[data-order] [data-total]").dataset.total),
  }));
  return { ...shown, placed: order };
}

/** Lets the affiliate offer's 15 s on site pass, waits for it and claims it. */
async function claimAffiliateOffer(page) {
  await page.clock.fastForward(16_000);
  await page.waitForSelector('perso-popup[data-perso-campaign="aff-offer"] [role=dialog]', { timeout: 25_000 });
  return claimFromPopup(page);
}

test("the affiliate shopper with a signed landing link (browser-only) claims 10 % and checkout applies it, once", async () => {
  const { context, page, log } = await newPage();
  await page.clock.install();
  await page.goto(`${demo.url}/affiliate/gadgets`);
  await page.click("a.primary");
  await page.waitForURL(/utm_source=gadgets\.com/);
  await settled(page);
  assert.doesNotMatch(page.url(), /perso_link/, "the link token is taken off the address bar");
  assert.match(await page.evaluate(() => sessionStorage.getItem("perso:v2:link")), /^ey[\w-]+\.[\w-]+\.[\w-]+$/, "kept for the session");
  const claim = await claimAffiliateOffer(page);
  assert.match(claim.code ?? claim.refusal, CODE);
  await shot(page, "offers-1-affiliate-claimed");
  await setCart(page, [{ sku: "HP-100", qty: 1 }]);
  const mail = email();
  const done = await checkout(page, { mail, codes: [claim.code], place: true });
  assert.deepEqual(done.applied.map((a) => a.campaign), ["aff-offer"], JSON.stringify(done.refused));
  assert.equal(done.discount, 19.9, "10 % of $199");
  assert.deepEqual(done.placed.applied, ["aff-offer"]);
  assert.equal(done.placed.total, 199 - 19.9 + 9);
  await shot(page, "offers-1-order-confirmation");
  const egress = await assertEgress(log, demo.url, { claimClicks: 1 });
  assert.deepEqual(Object.keys(egress.claims[0]).sort(), ["campaign", "link"], "the claim request: the campaign and the landing link");

  // Attack: the claim replayed after use, in a second order.
  await setCart(page, [{ sku: "EB-300", qty: 1 }]);
  const again = await checkout(page, { mail: email(), codes: [claim.code], place: true });
  assert.deepEqual(again.applied, []);
  assert.equal(again.refused[0].error, "claim_used");
  assert.match(again.refused[0].text, /already used for an earlier order/);
  assert.equal(again.placed, null, "no order with a refused claim");
  await context.close();
});

test("the anonymous shopper registers and gets free shipping on a first order", async () => {
  const { context, page, log } = await newPage();
  await page.goto(`${demo.url}/`);
  await settled(page);
  await page.waitForSelector('perso-popup[data-perso-campaign="anon-register"] [role=dialog]', { timeout: 10_000 });
  await page.locator("perso-popup input[value=audio]").check();
  await page.locator("perso-popup button[type=submit]").click();
  const reward = await claimFromPopup(page);
  assert.match(reward.code ?? reward.refusal, CODE);
  await page.keyboard.press("Escape");
  await setCart(page, [{ sku: "EB-300", qty: 1 }]);
  const mail = email();
  const done = await checkout(page, { mail, codes: [reward.code], place: true });
  assert.deepEqual(done.applied.map((a) => a.campaign), ["anon-register"], JSON.stringify(done.refused));
  assert.equal(done.placed.shipping, 0, "free shipping");
  assert.equal(done.placed.total, 129);
  await assertEgress(log, demo.url, { claimClicks: 1 });

  // Registering again in a new session does not make a second first order.
  const { context: second, page: other } = await newPage();
  await other.goto(`${demo.url}/`);
  await other.waitForSelector('perso-popup[data-perso-campaign="anon-register"] [role=dialog]', { timeout: 10_000 });
  await other.locator("perso-popup input[value=audio]").check();
  await other.locator("perso-popup button[type=submit]").click();
  const again = await claimFromPopup(other);
  await setCart(other, [{ sku: "SP-200", qty: 1 }]);
  const refused = await checkout(other, { mail, codes: [again.code] });
  assert.equal(refused.refused[0]?.error, "claim_not_eligible");
  assert.match(refused.refused[0].text, /for a first order/);
  assert.equal(refused.shipping, 9);
  await second.close();
  await context.close();
});

async function signInAsAda(page) {
  await page.goto(`${demo.url}/login`);
  await page.fill("input[name=email]", "ada@gizmos.test");
  await page.fill("input[name=password]", "gizmos-demo");
  await page.click("form[data-login] button[type=submit]");
  await page.waitForURL(`${demo.url}/`);
  await page.waitForSelector('perso-popup[data-perso-campaign="hv-free-shipping"] [role=dialog]', { timeout: 10_000 });
}

test("Ada gets free shipping over $100 and not under (the claim replayed for another cart is refused)", async () => {
  const { context, page, log } = await newPage();
  await signInAsAda(page);
  assert.doesNotMatch(await popupText(page), /SHIPFREE100/);
  const claim = await claimFromPopup(page);
  assert.match(claim.code ?? claim.refusal, CODE);
  await setCart(page, [{ sku: "SP-200", qty: 1 }]);
  const under = await checkout(page, { codes: [claim.code] });
  assert.deepEqual(under.applied, []);
  assert.equal(under.refused[0].error, "claim_not_eligible");
  assert.match(under.refused[0].text, /needs an order total over \$100/);
  assert.equal(under.shipping, 9);
  await shot(page, "offers-3-ada-under-100");
  await setCart(page, [{ sku: "SP-200", qty: 1 }, { sku: "HP-100", qty: 1 }]);
  const over = await checkout(page, { codes: [claim.code], place: true });
  assert.deepEqual(over.applied.map((a) => a.campaign), ["hv-free-shipping"], JSON.stringify(over.refused));
  assert.equal(over.placed.shipping, 0);
  assert.equal(over.placed.total, 278);
  await shot(page, "offers-3-ada-order");
  await assertEgress(log, demo.url, { claimClicks: 1 });
  // Once per customer: a second claim of the same offer is refused for Ada.
  await page.goto(`${demo.url}/`);
  await page.evaluate(() => localStorage.removeItem("perso:v2:visitor"));
  await page.goto(`${demo.url}/`);
  await page.waitForSelector('perso-popup[data-perso-campaign="hv-free-shipping"] [role=dialog]', { timeout: 10_000 });
  const second = await claimFromPopup(page);
  await setCart(page, [{ sku: "WW-500", qty: 1 }]);
  const twice = await checkout(page, { codes: [second.code] });
  assert.equal(twice.refused[0]?.error, "claim_once_per_customer");
  await context.close();
});

test("attack: the codes of the old bundle, and anything read from bundle.bin, redeem nothing", async () => {
  const served = new Uint8Array(await (await fetch(`${demo.url}/perso/bundle.bin`)).arrayBuffer());
  const text = Buffer.from(served).toString("latin1");
  for (const code of ["GADGETS10", "SHIPFREE100", "WELCOMESHIP"]) assert.ok(!text.includes(code), `${code} is in bundle.bin`);
  const host = hostSection(served);
  const tokens = [...text.matchAll(/[A-Za-z0-9_-]{12,}(\.[A-Za-z0-9_-]{12,}){2}/g)].map((m) => m[0]);
  assert.deepEqual(tokens, [], "no token-like string in the bundle");
  const { context, page } = await newPage();
  await page.goto(`${demo.url}/`);
  await setCart(page, [{ sku: "HP-100", qty: 1 }]);
  const words = host.campaigns.filter((c) => c.action.kind === "offer").map((c) => c.id);
  const shown = await checkout(page, { mail: email(), codes: ["GADGETS10", "SHIPFREE100", "WELCOMESHIP", ...words] });
  assert.deepEqual(shown.applied, []);
  assert.equal(shown.refused.length, 4, "the checkout takes at most four codes");
  for (const r of shown.refused) assert.match(r.text, /is not a claim code|not a claim this store issued/);
  assert.equal(shown.discount, 0);
  assert.equal(shown.shipping, 9);
  await context.close();
});

test("attack: ?utm_source=gadgets.com typed by hand shows the offer, but no claim is issued and checkout refuses", async () => {
  const { context, page, log } = await newPage();
  await page.clock.install();
  await page.goto(`${demo.url}/?utm_source=gadgets.com`);
  await settled(page);
  const claim = await claimAffiliateOffer(page);
  assert.equal(claim.code, null);
  assert.match(claim.refusal, /Nothing vouches that you arrived from the partner site/);
  const egress = await assertEgress(log, demo.url, { claimClicks: 1 });
  assert.deepEqual(egress.claims, [{ campaign: "aff-offer" }]);
  // Nor can a hand-made claim request from the console get one.
  const direct = await page.evaluate(async () => (await fetch("/api/claim", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ campaign: "aff-offer" }) })).json());
  assert.equal(direct.error, "claim_not_eligible");
  await setCart(page, [{ sku: "HP-100", qty: 1 }]);
  const shown = await checkout(page, { mail: email(), codes: ["GADGETS10"] });
  assert.deepEqual(shown.applied, []);
  assert.match(shown.refused[0].text, /not a claim code/);
  await context.close();
});

test("attack: local state edited to look like a gadgets.com visit gets the offer shown, never a claim", async () => {
  const kit = await leanKit();
  const engine = kit.loadBundle(new Uint8Array(await (await fetch(`${demo.url}/perso/bundle.bin`)).arrayBuffer()));
  const visitor = kit.freshVisitor("forged", Date.now());
  engine.pageView(visitor, { referrer_host: "gadgets.com", utm: { source: "gadgets.com" } }, Date.now());
  const forged = Buffer.from(visitor.toBytes()).toString("base64");
  visitor.free();
  engine.free();
  const { context, page } = await newPage();
  await page.addInitScript((state) => localStorage.setItem("perso:v2:visitor", state), forged);
  await page.clock.install();
  await page.goto(`${demo.url}/category/audio`);
  await settled(page);
  assert.equal(await page.evaluate(() => window.perso.decision().placements.find((p) => p.placement === "hero")?.campaign), "aff-hero", "the device believes it");
  const claim = await claimAffiliateOffer(page);
  assert.equal(claim.code, null);
  assert.match(claim.refusal, /Nothing vouches/);
  await context.close();
});

test("attack: a tier from the console (perso.setCustomer) or the shop's local profile: the claim is refused at checkout", async () => {
  // A profile written into the shop's localStorage is not even read: the signed-in
  // customer is the one the server renders into the page (js/demo/accounts.mjs).
  {
    const { context, page } = await newPage();
    await page.addInitScript(() => localStorage.setItem("gizmos:customer", JSON.stringify({ known: true, first_name: "Eve", ltv_band: "high" })));
    await page.goto(`${demo.url}/`);
    await settled(page);
    await page.waitForTimeout(1500);
    assert.equal(await page.locator('perso-popup[data-perso-campaign="hv-free-shipping"]').count(), 0, "a forged local profile is not a customer");
    await context.close();
  }
  for (const how of ["console"]) {
    const { context, page } = await newPage();
    await page.goto(`${demo.url}/`);
    await settled(page);
    await page.evaluate(() => window.perso.setCustomer({ known: true, first_name: "Eve", ltv_band: "vip", rfm: { score: 15 } }));
    await page.waitForSelector('perso-popup[data-perso-campaign="hv-free-shipping"] [role=dialog]', { timeout: 10_000 });
    const claim = await claimFromPopup(page);
    assert.match(claim.code ?? claim.refusal, CODE, "issued: it rests on facts the checkout checks itself");
    await setCart(page, [{ sku: "HP-100", qty: 1 }]);
    const shown = await checkout(page, { mail: email(), codes: [claim.code] });
    assert.deepEqual(shown.applied, [], how);
    assert.equal(shown.refused[0].error, "claim_not_eligible", how);
    assert.match(shown.refused[0].text, /not available for this account/, how);
    assert.doesNotMatch(shown.refused[0].text, /ltv|tier|high|vip|segment/i, "never names a tier");
    assert.equal(shown.shipping, 9, how);
    await context.close();
  }
});

/** The token behind a display code, as the store keeps it (the shopper never sees it). */
const tokenOf = (code) => demo.store.ledger.db.prepare("SELECT token FROM claims WHERE jti = ?").get(code.replace(/-/g, "")).token;

async function claimRewardCode() {
  const response = await fetch(`${demo.url}/api/claim`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ campaign: "anon-register" }) });
  return (await response.json()).display_code;
}

test("attack: a claim replayed after its expiry, with a changed campaign, or signed by another key", async () => {
  const { context, page } = await newPage();
  await page.goto(`${demo.url}/`);
  await setCart(page, [{ sku: "HP-100", qty: 1 }]);

  // Expired: a day and a minute later on the store's clock.
  const stale = await claimRewardCode();
  clock.offsetMs = 25 * 3600 * 1000;
  try {
    const shown = await checkout(page, { mail: email(), codes: [stale] });
    assert.equal(shown.refused[0]?.error, "claim_expired");
    assert.match(shown.refused[0].text, /has expired/);
  } finally {
    clock.offsetMs = 0;
  }

  // The campaign changed in the token (the free shipping reward turned into 10 % off).
  const token = tokenOf(await claimRewardCode());
  const [header, payload, signature] = token.split(".");
  const claim = JSON.parse(Buffer.from(payload, "base64url"));
  const changed = { ...claim, campaign: "aff-offer", terms: { title: "10% off your next purchase", benefit: { kind: "percent_off", percent: 10 } } };
  const tampered = `${header}.${Buffer.from(JSON.stringify(changed)).toString("base64url")}.${signature}`;
  // Signed by a key the store does not trust, under its own kid and under another.
  const stranger = privateKeyFromSeed(Buffer.alloc(32, 7));
  const forgedSameKid = signToken(TYP.claim, changed, { kid: demo.store.claimKey.kid, key: stranger });
  const forgedOtherKid = signToken(TYP.claim, changed, { kid: "mallory", key: stranger });
  const shown = await checkout(page, { mail: email(), codes: [tampered, forgedSameKid, forgedOtherKid] });
  assert.deepEqual(shown.applied, []);
  assert.deepEqual(shown.refused.map((r) => r.error), ["claim_signature", "claim_signature", "claim_unknown_key"]);
  assert.match(shown.refused[0].text, /altered after the store issued it/);
  assert.match(shown.refused[2].text, /not signed by this store/);
  assert.equal(shown.discount, 0);
  await context.close();
});

test("single use holds: 50 concurrent redemptions of one claim, other processes on the same file, a restart", async () => {
  const code = await claimRewardCode();
  const order = (mail) => fetch(`${demo.url}/api/orders`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ lines: [{ sku: "EB-300", qty: 1 }], claims: [code], email: mail }),
  }).then(async (r) => ({ status: r.status, body: await r.json() }));
  const results = await Promise.all(Array.from({ length: 50 }, (_, i) => order(`race-${i}-${newJti()}@example.com`)));
  const placed = results.filter((r) => r.status === 201);
  assert.equal(placed.length, 1, `exactly one order got the claim: ${JSON.stringify(results.map((r) => r.status))}`);
  assert.ok(results.filter((r) => r.status !== 201).every((r) => r.body.refused?.some((x) => x.error === "claim_used")));

  // Four other processes race on the same SQLite file for one key: one wins.
  const file = `${demo.dataDir}/ledger.sqlite`;
  const key = `claim:RACE${newJti().slice(4)}`;
  const worker = fileURLToPath(new URL("./ledger-racer.mjs", import.meta.url));
  const outcomes = await Promise.all(Array.from({ length: 4 }, (_, i) => new Promise((resolve, reject) => {
    const child = fork(worker, [file, key, String(i), "12"], { stdio: ["ignore", "ignore", "inherit", "ipc"] });
    child.on("message", resolve);
    child.on("error", reject);
  })));
  assert.equal(outcomes.reduce((n, o) => n + o.placed, 0), 1, JSON.stringify(outcomes));

  // A restart keeps the ledger: the used claim stays used.
  const dataDir = demo.dataDir;
  await demo.close();
  demo = await startDemo({ dataDir, now: () => Date.now() + clock.offsetMs });
  const after = await order(`after-restart-${newJti()}@example.com`);
  assert.equal(after.status, 200);
  assert.equal(after.body.order, null);
  assert.equal(after.body.refused[0].error, "claim_used");
  const row = demo.store.ledger.db.prepare("SELECT order_id FROM redemptions WHERE key = ?").get(`claim:${code.replace(/-/g, "")}`);
  assert.equal(row.order_id, placed[0].body.order, "the same order holds it after the restart");
});

test("every published demo bundle: no redeemable code", async () => {
  const bundles = [readFileSync(new URL("www/bundle.json", root), "utf8")];
  const served = Buffer.from(await (await fetch(`${demo.url}/perso/bundle.bin`)).arrayBuffer());
  bundles.push(served.toString("latin1"));
  for (const text of bundles) {
    for (const code of ["GADGETS10", "SHIPFREE100", "WELCOMESHIP"]) assert.ok(!text.includes(code), code);
  }
  const host = hostSection(new Uint8Array(served));
  const actions = host.campaigns.flatMap((c) => [c.action, ...(c.variants ?? []).map((v) => v.action).filter(Boolean)]);
  for (const action of actions) {
    assert.equal(action.code, undefined, JSON.stringify(action));
    assert.equal(action.reward?.code, undefined, JSON.stringify(action));
  }
  assert.deepEqual(actions.filter((a) => a.redeem === "claim" || a.reward?.redeem === "claim").length, 3);
});
