// Sealed offers behind perso's edge worker, in real workerd (Miniflare) and real
// headless Chromium: Chromium → the worker (edge/src/edge-entry.js, which wraps the
// handler with edge/src/vouch.js) → the demo store as origin. The edge signs what it
// saw on the landing request into the `perso_vouch` voucher; the runtime sends it
// with the claim request on the shopper's "Claim" click; the store's claim endpoint
// trusts the edge's key, and its checkout applies the claim. A typed `?utm_source=`
// gets a voucher of what the edge saw — which vouches for nothing.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { launchBrowser, claimFromPopup, instrumentPage, settled } from "../../js/test/helpers.mjs";
import { startServer } from "../../js/serve.mjs";
import { startEdgeWorker } from "./edge-worker.mjs";
import { newKeyFile, parseTrustedKeys, verifyToken, TYP } from "../../js/server/claims.mjs";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const edgeKey = newKeyFile("edge-2026-11");
let demo, mf, edgeUrl, browser;

before(async () => {
  demo = await startServer({ port: 0, edgeKeys: `${edgeKey.kid}:${edgeKey.public}` });
  ({ mf, url: edgeUrl } = await startEdgeWorker(demo, { PERSO_VOUCH_KEY: JSON.stringify(edgeKey) }));
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await mf?.dispose();
  await demo?.close();
});

const voucherOf = (setCookie) => setCookie?.match(/perso_vouch=([^;]+)/)?.[1] ?? null;

test("the worker vouches for the landing request it saw, and for nothing else", async () => {
  const trusted = parseTrustedKeys(`${edgeKey.kid}:${edgeKey.public}`);
  const get = (path, headers = {}) => mf.dispatchFetch(`${edgeUrl}${path}`, { headers, redirect: "manual" });
  const landing = await get("/category/audio?utm_source=gadgets.com&utm_medium=affiliate", { Referer: "https://gadgets.com/reviews/quiet-pro" });
  assert.equal(landing.status, 200);
  assert.match(await landing.text(), /data-page="category"/, "the page itself comes through");
  const cookie = landing.headers.get("set-cookie");
  assert.match(cookie, /perso_vouch=[\w-]+\.[\w-]+\.[\w-]+; Path=\/; Max-Age=86400; SameSite=Lax/);
  assert.doesNotMatch(cookie, /HttpOnly/, "the runtime sends it with the claim request");
  assert.equal(landing.headers.get("cache-control"), "private, no-cache");
  const { kid, payload } = verifyToken(voucherOf(cookie), TYP.voucher, trusted);
  assert.equal(kid, edgeKey.kid);
  assert.deepEqual(payload.seen, { referrer_host: "gadgets.com", utm: { source: "gadgets.com", medium: "affiliate" }, path: "/category/audio" });
  assert.equal(payload.exp - payload.iat, 86_400);
  assert.match(payload.jti, /^[0-9A-Z]{16}$/);

  // A typed UTM tag: the edge signs what it saw (no Referer) — which vouches for nothing.
  const typed = verifyToken(voucherOf((await get("/?utm_source=gadgets.com")).headers.get("set-cookie")), TYP.voucher, trusted);
  assert.deepEqual(typed.payload.seen, { utm: { source: "gadgets.com" }, path: "/" });
  // ... and never replaces the voucher of a landing from another site.
  assert.equal(voucherOf((await get("/?utm_source=gadgets.com", { Cookie: `perso_vouch=${voucherOf(cookie)}` })).headers.get("set-cookie")), null);
  // Nothing to vouch for: a page of the site itself, a request without a Referer. (The
  // worker personalizes these pages too: its state cookie is set, never a voucher.)
  assert.equal(voucherOf((await get("/product/HP-100", { Referer: `${edgeUrl}/` })).headers.get("set-cookie")), null);
  assert.equal(voucherOf((await get("/")).headers.get("set-cookie")), null);
  // Never under Global Privacy Control or a denied consent, never on other than pages.
  assert.equal(voucherOf((await get("/", { Referer: "https://gadgets.com/", "Sec-GPC": "1" })).headers.get("set-cookie")), null);
  assert.equal(voucherOf((await get("/", { Referer: "https://gadgets.com/", Cookie: "perso_consent=denied" })).headers.get("set-cookie")), null);
  assert.equal(voucherOf((await get("/shop.css", { Referer: "https://gadgets.com/" })).headers.get("set-cookie")), null);

  // Without a key the worker vouches for nothing; with a broken key the page still passes.
  for (const bindings of [{}, { PERSO_VOUCH_KEY: "not json" }]) {
    const { mf: plain, url } = await startEdgeWorker(demo, bindings);
    const response = await plain.dispatchFetch(`${url}/`, { headers: { Referer: "https://gadgets.com/" } });
    assert.equal(response.status, 200);
    assert.equal(voucherOf(response.headers.get("set-cookie")), null);
    assert.match(await response.text(), /data-page="home"/);
    await plain.dispose();
  }
});

async function claimThroughTheEdge(page, path, referer) {
  await instrumentPage(page);
  await page.clock.install();
  await page.goto(`${edgeUrl}${path}`, referer ? { referer } : {});
  await settled(page);
  await page.clock.fastForward(16_000);
  await page.waitForSelector('perso-popup[data-perso-campaign="aff-offer"] [role=dialog]', { timeout: 25_000 });
  return claimFromPopup(page);
}

test("the affiliate shopper through the edge claims 10 % with the edge's voucher, and checkout applies it", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const requests = [];
  page.on("request", (r) => requests.push({ url: r.url(), method: r.method(), headers: r.allHeaders(), body: r.postData() }));
  const claim = await claimThroughTheEdge(page, "/", "https://gadgets.com/reviews/quiet-pro");
  assert.match(claim.code ?? claim.refusal, /^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);
  const claimRequests = requests.filter((r) => new URL(r.url).pathname === "/api/claim");
  assert.equal(claimRequests.length, 1);
  const body = JSON.parse(claimRequests[0].body);
  assert.deepEqual(Object.keys(body).sort(), ["campaign", "voucher"]);
  const headers = await claimRequests[0].headers;
  assert.ok(!("cookie" in headers) && !("referer" in headers), "the claim request carries no cookie and no Referer");
  // The bundle GETs carry no cookie either (the voucher cookie is the store's first-party
  // cookie: its pages and static files get it like any other).
  const bundleGets = requests.filter((x) => /^\/perso\/bundle\.bin(\.sig)?$/.test(new URL(x.url).pathname));
  assert.ok(bundleGets.length >= 1);
  for (const r of bundleGets) assert.ok(!("cookie" in (await r.headers)), `the bundle GET carried cookies: ${r.url}`);

  await page.evaluate(() => {
    localStorage.setItem("gizmos:cart", JSON.stringify([{ sku: "HP-100", qty: 1 }]));
    document.querySelectorAll("perso-popup").forEach((p) => p.remove());
  });
  await page.goto(`${edgeUrl}/checkout`);
  await page.waitForFunction(() => Number(document.body.dataset.quoted ?? 0) >= 1);
  await page.evaluate(() => document.querySelectorAll("perso-popup").forEach((p) => p.remove()));
  await page.fill("input[name=email]", `edge-${Date.now()}@example.com`);
  await page.fill("input[name=claim]", claim.code);
  await page.click("[data-apply]");
  await page.waitForFunction(() => document.querySelector("[data-applied] li, [data-refused] li"));
  assert.equal(await page.getAttribute("[data-applied] li", "data-campaign"), "aff-offer", await page.textContent("[data-refused]"));
  await page.click("[data-place-order]");
  await page.waitForURL(/\/order\//);
  await page.waitForSelector("[data-order] .notice");
  assert.equal(await page.getAttribute("[data-order] [data-discount]", "data-discount"), "19.9");
  await page.screenshot({ path: `${repo}test-output/e2e/offers-edge-order.png` });
  await context.close();
});

test("through the edge, ?utm_source=gadgets.com typed by hand gets no claim", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const claim = await claimThroughTheEdge(page, "/?utm_source=gadgets.com", null);
  assert.equal(claim.code, null);
  assert.match(claim.refusal, /Nothing vouches that you arrived from the partner site/);
  assert.ok((await context.cookies()).some((c) => c.name === "perso_vouch"), "the edge did sign what it saw");
  await context.close();
});
