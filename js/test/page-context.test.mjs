// The context's `page` as the browser runtime builds it in real Chromium, from
// location and document.referrer (tests/vectors/page-context.json, also replayed by the
// Node kit and the edge worker in workerd). Every path is served the demo's home page,
// with perso in debug mode so `perso.context()` shows what the engine reads.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { launchBrowser, startDemo, instrumentPage, settled } from "./helpers.mjs";

const vectors = JSON.parse(readFileSync(new URL("../../tests/vectors/page-context.json", import.meta.url), "utf8"));
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

test("every page-context vector: the runtime's context in Chromium gives the page exactly", async () => {
  const home = await (await fetch(`${demo.url}/`)).text();
  const page_html = home.replace('<script type="module" async src="/perso/perso.js"', '<script type="module" async data-debug="true" src="/perso/perso.js"');
  assert.notEqual(page_html, home, "perso's script tag found");
  const at = (value) => JSON.parse(JSON.stringify(value).replaceAll("{origin}", demo.url));
  const context = await browser.newContext({ userAgent: vectors.user_agent, locale: "en-GB" });
  let checked = 0;
  for (const vector of vectors.cases) {
    // A referrer that is not a URL cannot be sent by a browser: the Node kit and the edge cover it.
    if (vector.referrer !== null && !URL.canParse(vector.referrer.replace("{origin}", demo.url))) continue;
    const page = await context.newPage();
    await instrumentPage(page);
    // Any path of the store is a page of it (the demo serves only its own routes).
    await page.route((url) => url.origin === demo.url && !url.pathname.startsWith("/perso/") && !url.pathname.startsWith("/api/")
      && !/\.(css|js|mjs|svg|png|json)$/.test(url.pathname), (route) =>
      route.request().resourceType() === "document"
        ? route.fulfill({ status: 200, contentType: "text/html; charset=utf-8", body: page_html })
        : route.continue());
    await page.goto(`${demo.url}${vector.path}`, vector.referrer === null ? {} : { referer: at(vector.referrer) });
    await settled(page);
    const seen = await page.evaluate(() => window.perso.context()?.page ?? null);
    assert.deepEqual(seen, at(vector.page), vector.name);
    checked++;
    await page.close();
  }
  assert.ok(checked >= vectors.cases.length - 1, `${checked} vectors checked`);
  await context.close();
});
