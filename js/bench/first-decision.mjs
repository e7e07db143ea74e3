// Size and speed of the browser runtime, measured the way a shopper's browser meets it.
//  - size: gzip -9 of everything the script tag loads (runtime modules, wasm glue, wasm),
//    taken from the requests a real page load makes;
//  - speed: time from the runtime's first line (performance mark "perso:start") to its
//    first applied decision ("perso:first-decision"), median over N page loads in headless
//    Chromium, for a returning visitor (bundle cached on the device) and a first visit.
// Usage: node js/bench/first-decision.mjs [--runs 25]
import { gzipSync } from "node:zlib";
import { launchBrowser, startDemo } from "../test/helpers.mjs";

const runsArg = process.argv.indexOf("--runs");
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 25;
const GADGETS = "https://gadgets.com/reviews/quiet-pro";

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const fmt = (ms) => `${ms.toFixed(2)} ms`;

async function measure(page, url) {
  await page.goto(url, { referer: GADGETS });
  await page.waitForFunction(() => performance.getEntriesByName("perso:first-decision").length > 0, null, { timeout: 10_000 });
  return page.evaluate(() => {
    const start = performance.getEntriesByName("perso:start")[0].startTime;
    const decided = performance.getEntriesByName("perso:first-decision")[0].startTime;
    const wasm = performance.getEntriesByName("perso:wasm-ready")[0]?.startTime ?? decided;
    return { fromScriptStart: decided - start, fromNavigation: decided, wasmReady: wasm - start };
  });
}

const demo = await startDemo();
const browser = await launchBrowser();
try {
  // Size: every response under /perso/ except the bundle itself.
  const context = await browser.newContext();
  const page = await context.newPage();
  const loaded = new Map();
  page.on("response", async (response) => {
    const url = new URL(response.url());
    // The bundle is data, and perso-slots.css is the store's own stylesheet import.
    if (!url.pathname.startsWith("/perso/") || url.pathname.startsWith("/perso/bundle.json") || url.pathname.endsWith(".css")) return;
    try {
      loaded.set(url.pathname, await response.body());
    } catch {
      // A 304 without a body is counted from its first, full response.
    }
  });
  await measure(page, `${demo.url}/`);
  let rawTotal = 0;
  let gzTotal = 0;
  const rows = [];
  for (const [path, body] of [...loaded].sort()) {
    const gz = gzipSync(body, { level: 9 }).length;
    rawTotal += body.length;
    gzTotal += gz;
    rows.push(`| ${path} | ${body.length} | ${gz} |`);
  }
  console.log("## What the script tag loads (gzip -9)\n");
  console.log("| file | raw bytes | gzip bytes |\n|---|---:|---:|");
  console.log(rows.join("\n"));
  console.log(`| **total** | ${rawTotal} | **${gzTotal}** (${(gzTotal / 1024).toFixed(1)} KB) |\n`);
  await context.close();

  // First visit: a fresh browser context each run (no HTTP cache, no localStorage).
  const cold = [];
  const coldNav = [];
  for (let i = 0; i < RUNS; i++) {
    const ctx = await browser.newContext();
    const p = await ctx.newPage();
    const t = await measure(p, `${demo.url}/`);
    cold.push(t.fromScriptStart);
    coldNav.push(t.fromNavigation);
    await ctx.close();
  }

  // Returning visitor: one context, the bundle cached by the previous page.
  const warmCtx = await browser.newContext();
  const warmPage = await warmCtx.newPage();
  await measure(warmPage, `${demo.url}/`);
  await measure(warmPage, `${demo.url}/`);
  const warm = [];
  const warmNav = [];
  const warmWasm = [];
  for (let i = 0; i < RUNS; i++) {
    const t = await measure(warmPage, `${demo.url}/category/audio`);
    warm.push(t.fromScriptStart);
    warmNav.push(t.fromNavigation);
    warmWasm.push(t.wasmReady);
  }
  await warmCtx.close();

  console.log(`## Time to first decision (median of ${RUNS} page loads, headless Chromium)\n`);
  console.log("| visit | script start -> first rendered decision | navigation start -> first rendered decision |\n|---|---:|---:|");
  console.log(`| returning (bundle cached on the device) | ${fmt(median(warm))} (min ${fmt(Math.min(...warm))}) | ${fmt(median(warmNav))} |`);
  console.log(`\nReturning visit, of which loading the wasm engine (glue import + instantiate): median ${fmt(median(warmWasm))}.\n`);
  console.log(`| first visit (nothing cached) | ${fmt(median(cold))} (min ${fmt(Math.min(...cold))}) | ${fmt(median(coldNav))} |`);
} finally {
  await browser.close();
  await demo.close();
}
