// What a valid but costly bundle does to the shopper's main thread (issue 9): the demo
// store served with the demo bundle plus 0 / 1 / 8 / 40 campaigns that cost what the
// engine allows (js/test/heavy-bundles.mjs: ~90,000 units each, 11 spend a decision's
// budget), an affiliate landing in headless Chromium with 4x CPU throttling, a fresh
// profile per run. Reported per bundle, median and max over the runs: the longest
// main-thread task while the page loads and decides (Long Tasks API), the time from
// perso's first line to its first applied decision, and the engine's decide call alone
// (a second decision, timed in the page: `perso:redecide` is not a mark, so the bench
// calls `window.perso.setCart` and times the decision it triggers).
// Usage: node js/bench/heavy-bundle.mjs [--runs 7] [--cpu 4]
import { parseArgs } from "node:util";
import { launchBrowser, startDemo } from "../test/helpers.mjs";
import { heavyBundle } from "../test/heavy-bundles.mjs";

const { values: args } = parseArgs({ options: { runs: { type: "string", default: "7" }, cpu: { type: "string", default: "4" } } });
const RUNS = Number(args.runs);
const CPU = Number(args.cpu);
const GADGETS = "https://gadgets.com/reviews/quiet-pro";

const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const ms = (x) => `${x.toFixed(1)} ms`;

const browser = await launchBrowser();
const rows = [];
try {
  for (const count of [0, 1, 8, 40]) {
    const demo = await startDemo({ bundleBytes: heavyBundle(count) });
    const samples = { longest: [], firstDecision: [], redecide: [] };
    let overBudget = 0;
    for (let run = 0; run < RUNS; run++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.addInitScript(() => {
        window.__longest = 0;
        new PerformanceObserver((list) => {
          for (const entry of list.getEntries()) window.__longest = Math.max(window.__longest, entry.duration);
        }).observe({ type: "longtask", buffered: true });
        window.__persoErrors = [];
        document.addEventListener("perso:error", (e) => window.__persoErrors.push(e.detail.code));
      });
      const cdp = await context.newCDPSession(page);
      await cdp.send("Emulation.setCPUThrottlingRate", { rate: CPU });
      await page.goto(`${demo.url}/`, { referer: GADGETS });
      await page.waitForFunction(() => performance.getEntriesByName("perso:first-decision").length > 0, null, { timeout: 60_000 });
      // One more decision, timed around the call that triggers it (setCart decides at once).
      const redecide = await page.evaluate(() => new Promise((resolve) => {
        const t0 = performance.now();
        document.addEventListener("perso:decision", () => resolve(performance.now() - t0), { once: true });
        window.perso.setCart({ items: [{ sku: "HP-100", category: "audio", price: 199, qty: 1 }] });
      }));
      await page.waitForTimeout(300); // let the Long Tasks observer deliver
      const measured = await page.evaluate(() => ({
        longest: window.__longest,
        firstDecision: performance.getEntriesByName("perso:first-decision")[0].startTime - performance.getEntriesByName("perso:start")[0].startTime,
        overBudget: window.__persoErrors.includes("over_budget"),
      }));
      samples.longest.push(measured.longest);
      samples.firstDecision.push(measured.firstDecision);
      samples.redecide.push(redecide);
      if (measured.overBudget) overBudget++;
      await context.close();
    }
    await demo.close();
    rows.push({ count, bytes: heavyBundle(count).length, overBudget, ...Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, { median: median(v), max: Math.max(...v) }])) });
  }
} finally {
  await browser.close();
}
console.log(`heavy bundles, affiliate landing, Chromium ${CPU}x CPU throttle, ${RUNS} runs each (median / max)`);
console.log("| costly campaigns | bundle.bin | over_budget reported | longest main-thread task | first decision from script start | a later decision (setCart -> perso:decision) |");
console.log("|---|---|---|---|---|---|");
for (const r of rows) {
  console.log(`| ${r.count} | ${r.bytes} B | ${r.overBudget}/${RUNS} | ${ms(r.longest.median)} / ${ms(r.longest.max)} | ${ms(r.firstDecision.median)} / ${ms(r.firstDecision.max)} | ${ms(r.redecide.median)} / ${ms(r.redecide.max)} |`);
}
