// The engine playground in real headless Chromium, served with the strict CSP:
// the wasm loads, each scenario decides, the explanation lists every campaign, no
// console error (a CSP violation would be one), and no request leaves the origin.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { launchBrowser } from "../../js/test/helpers.mjs";
import { startServer } from "../../js/serve.mjs";

const shots = new URL("../../test-output/e2e/", import.meta.url).pathname;
let server, browser, base;

before(async () => {
  mkdirSync(shots, { recursive: true });
  server = await startServer({ port: 0 });
  base = server.url;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.close();
});

test("playground decides the three Gizmos scenarios under a strict CSP", async () => {
  const page = await browser.newPage();
  const problems = [];
  const requests = [];
  page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
  page.on("pageerror", (e) => problems.push(e.message));
  page.on("request", (r) => requests.push(r.url()));
  await page.goto(`${base}/playground/`);
  const placements = page.locator("#placements");
  await assert.doesNotReject(placements.getByText("hero ← aff-hero").waitFor({ timeout: 10_000 }));
  assert.match(await placements.innerText(), /popup ← aff-offer: offer \(toast\): 10% off your next purchase/);
  await page.screenshot({ path: `${shots}playground-affiliate.png`, fullPage: true });

  await page.selectOption("#scenario", "vip");
  await placements.getByText("greeting ← hv-welcome: welcome: Welcome back, Ada!").waitFor();
  assert.match(await placements.innerText(), /chat ← hv-chat/);
  assert.match(await placements.innerText(), /cross_sell ← cart-cross-sell: recommend: Goes well with your cart — Hard travel case/);
  const rows = await page.locator("#explain tbody tr").count();
  assert.equal(rows, 11, "every campaign is explained");
  await page.screenshot({ path: `${shots}playground-vip.png`, fullPage: true });

  await page.fill("#context", '{"cart": {"total": "lots"}}');
  await page.click("#decide");
  await page.locator("#error").getByText("context_invalid: context.cart.total must be a number").waitFor();

  assert.deepEqual(problems, []);
  assert.ok(requests.every((u) => u.startsWith(base)), `only same-origin requests: ${requests.join(", ")}`);
  await page.close();
});
