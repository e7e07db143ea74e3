// A valid bundle that costs as much as the engine allows must not freeze the page
// (issue 9): in real Chromium, each decision runs on the engine's work budget; campaigns
// that run out are left out with one `over_budget` error and the decision stands. The
// main thread's longest task is measured by js/bench/heavy-bundle.mjs, not here.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { launchBrowser, startDemo, instrumentPage, settled, persoEvents, slotText, shot } from "./helpers.mjs";
import { heavyBundle } from "./heavy-bundles.mjs";

const GADGETS = "https://gadgets.com/reviews/quiet-pro";
const browser = await launchBrowser();
after(() => browser.close());

async function landing(bundleBytes) {
  const demo = await startDemo({ bundleBytes });
  const context = await browser.newContext();
  const page = await context.newPage();
  const log = await instrumentPage(page);
  await page.goto(`${demo.url}/`, { referer: GADGETS });
  await settled(page);
  await page.waitForFunction(() => performance.getEntriesByName("perso:first-decision").length > 0);
  const result = {
    hero: await slotText(page, "hero"),
    errors: (await persoEvents(page, "perso:error")).map((e) => e.detail),
    decisions: await persoEvents(page, "perso:decision"),
    log,
    page,
  };
  return { ...result, close: async () => { await context.close(); await demo.close(); } };
}

test("costly campaigns that fit the decision's budget: all evaluated, the affiliate hero still wins", async () => {
  const run = await landing(heavyBundle(8));
  try {
    assert.match(run.hero, /Welcome, Gadgets\.com readers/);
    assert.deepEqual(run.errors, [], "nothing over budget");
    assert.deepEqual(run.log.pageErrors, []);
  } finally {
    await run.close();
  }
});

test("costly campaigns beyond the decision's budget: left out with one over_budget error, defaults kept, the page alive", async () => {
  const run = await landing(heavyBundle(40));
  try {
    assert.ok(run.decisions.length >= 1, "a decision was applied");
    const overBudget = run.errors.filter((e) => e.code === "over_budget");
    assert.equal(overBudget.length, 1, JSON.stringify(run.errors));
    assert.equal(run.errors.length, 1, "no other error");
    assert.ok(overBudget[0].campaigns.includes("heavy-39"), "the campaigns past the budget are named");
    assert.ok(!overBudget[0].campaigns.includes("heavy-0"), "the first ones were evaluated in full");
    assert.equal(run.hero, "", "the hero keeps the store's default content");
    assert.ok(run.log.console.some((m) => m.type === "warning" && /over_budget/.test(m.text)));
    // The page still answers the shopper: a click on the shop's own navigation works.
    await run.page.click("nav >> text=Audio");
    await run.page.waitForURL(/\/category\/audio/);
    await settled(run.page);
    await shot(run.page, "heavy-bundle-over-budget");
    assert.deepEqual(run.log.pageErrors, []);
  } finally {
    await run.close();
  }
});
