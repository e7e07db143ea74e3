// The first page of a first visit, as a shopper on a mid-tier phone meets it: a fresh
// browser profile each load (nothing cached), Chromium's 4x CPU throttle and a throttled
// network (150 ms RTT, 1.6 Mbit/s down, 750 kbit/s up), the affiliate's landing on the
// home page (Referer https://gadgets.com/...). Counts the loads whose hero showed the
// affiliate banner rather than the default, and records when the decision was applied and
// when the hero was revealed (by perso's decision, or by the anti-flicker CSS after its
// reveal window).
// Usage: node js/bench/first-page.mjs [--runs 20] [--cpu 4] [--rtt 150] [--kbps 1600] [--reveal-ms 1500]
import { launchBrowser, startDemo } from "../test/helpers.mjs";

const arg = (name, fallback) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const RUNS = arg("--runs", 20);
const CPU = arg("--cpu", 4);
const RTT = arg("--rtt", 150);
const KBPS = arg("--kbps", 1600);
const REVEAL_MS = arg("--reveal-ms", 1500);
const GADGETS = "https://gadgets.com/reviews/quiet-pro";

const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};
const ms = (v) => (Number.isFinite(v) ? `${v.toFixed(0)} ms` : "-");

const demo = await startDemo();
const browser = await launchBrowser();
const loads = [];
try {
  for (let run = 0; run < RUNS; run++) {
    const context = await browser.newContext({ viewport: { width: 412, height: 915 }, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: RTT,
      downloadThroughput: (KBPS * 1000) / 8,
      uploadThroughput: (750 * 1000) / 8,
    });
    await cdp.send("Emulation.setCPUThrottlingRate", { rate: CPU });
    await page.addInitScript((revealMs) => {
      window.__hero = { decidedAt: null, revealedByCss: null };
      // The store's reveal window (docs/browser-runtime.md "No flicker"), set on <html> as
      // soon as it exists (init scripts run before the document has an element).
      const setWindow = () => {
        if (revealMs !== 1500 && document.documentElement && !document.documentElement.style.getPropertyValue("--perso-reveal-after")) {
          document.documentElement.style.setProperty("--perso-reveal-after", `${revealMs}ms`);
        }
      };
      setWindow();
      new MutationObserver(() => {
        setWindow();
        const hero = document.querySelector('[data-perso-slot="hero"]');
        if (!hero) return;
        if (window.__hero.decidedAt === null && hero.hasAttribute("data-perso-decided")) window.__hero.decidedAt = performance.now();
        if (!hero.__watched) {
          hero.__watched = true;
          hero.addEventListener("animationend", () => { window.__hero.revealedByCss ??= performance.now(); });
        }
      }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-perso-decided"] });
    }, REVEAL_MS);
    await page.goto(`${demo.url}/`, { referer: GADGETS, waitUntil: "load", timeout: 60_000 });
    await page.waitForTimeout(REVEAL_MS + 1500);
    const result = await page.evaluate(() => {
      const mark = (name) => performance.getEntriesByName(name)[0]?.startTime ?? null;
      const hero = document.querySelector('[data-perso-slot="hero"]');
      return {
        campaign: hero?.dataset.persoCampaign ?? null,
        scriptStart: mark("perso:start"),
        wasmReady: mark("perso:wasm-ready"),
        decided: mark("perso:first-decision"),
        heroDecided: window.__hero.decidedAt,
        revealedByCss: window.__hero.revealedByCss,
      };
    });
    result.personalized = result.campaign === "aff-hero";
    result.reveal = [result.heroDecided, result.revealedByCss].filter((v) => v !== null).reduce((a, b) => Math.min(a, b), Infinity);
    loads.push(result);
    process.stderr.write(`${run + 1}/${RUNS}: ${result.personalized ? "affiliate hero" : `default (${result.campaign ?? "none"})`}, decided ${ms(result.decided)}, revealed ${ms(result.reveal)}\n`);
    await context.close();
  }
} finally {
  await browser.close();
  await demo.close();
}

const personalized = loads.filter((l) => l.personalized).length;
const column = (key) => loads.map((l) => l[key]).filter((v) => Number.isFinite(v));
console.log(`## First page of a first visit (${RUNS} loads, CPU ${CPU}x, RTT ${RTT} ms, ${KBPS} kbit/s, reveal window ${REVEAL_MS} ms)\n`);
console.log(`Affiliate hero shown: **${personalized} of ${RUNS}** loads.\n`);
console.log("| from navigation start | p10 | median | p90 | max |");
console.log("|---|---:|---:|---:|---:|");
for (const [label, key] of [
  ["perso.js starts", "scriptStart"],
  ["wasm compiled and instantiated", "wasmReady"],
  ["first decision applied", "decided"],
  ["hero revealed", "reveal"],
]) {
  const values = column(key);
  console.log(`| ${label} | ${ms(quantile(values, 0.1))} | ${ms(quantile(values, 0.5))} | ${ms(quantile(values, 0.9))} | ${ms(Math.max(...values))} |`);
}
