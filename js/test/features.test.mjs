// Runtime features end to end in headless Chromium: anti-flicker, strict CSP, consent
// and Global Privacy Control, the pre-load queue and dataLayer, SPA navigation,
// behavioural triggers, text-only rendering, the debug overlay.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  launchBrowser, startDemo, instrumentPage, settled, persoEvents, slotText, popupText, shot, compileBundle, storedVisitor,
} from "./helpers.mjs";

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

async function newPage(contextOptions = {}) {
  const context = await browser.newContext(contextOptions);
  const page = await context.newPage();
  const log = await instrumentPage(page);
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener("securitypolicyviolation", (e) => window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  return { context, page, log };
}

/** Serves a variant of the default bundle, compiled and signed as `perso publish` would. */
async function serveVariant(page, edit) {
  const bundle = JSON.parse(BUNDLE_TEXT);
  edit(bundle);
  await serveCompiled(page, compileBundle(Buffer.from(JSON.stringify(bundle))));
}

async function serveCompiled(page, bytes) {
  const sig = await demo.key.sign(bytes);
  await page.route(`${demo.url}/perso/bundle.bin`, (route) => route.fulfill({ contentType: "application/octet-stream", body: bytes }));
  await page.route(`${demo.url}/perso/bundle.bin.sig`, (route) => route.fulfill({ contentType: "application/json", body: sig }));
}

const campaign = (bundle, id) => bundle.campaigns.find((c) => c.id === id);
const perKeys = (page) => page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("perso")).sort());

test("anti-flicker: with perso's script blocked, the waiting hero reveals itself by CSS alone", async () => {
  const { context, page } = await newPage();
  await page.route(`${demo.url}/perso/perso.js`, (route) => route.abort());
  await page.goto(`${demo.url}/`, { waitUntil: "domcontentloaded" });
  const early = await page.evaluate(() => [performance.now(), getComputedStyle(document.querySelector("[data-perso-slot=hero]")).visibility]);
  if (early[0] < 1400) assert.equal(early[1], "hidden", "hidden while perso may still decide");
  await page.waitForFunction(() => getComputedStyle(document.querySelector("[data-perso-slot=hero]")).visibility === "visible", null, { timeout: 3000 });
  assert.ok(await page.isVisible(".hero-default"));
  await shot(page, "feature-script-blocked");
  await context.close();
});

test("anti-flicker: a default already revealed is not swapped when a late decision arrives", async () => {
  const { context, page } = await newPage();
  await page.route(`${demo.url}/perso/bundle.bin`, async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 2300)); // slower than the 1.5 s reveal
    await route.continue();
  });
  await page.goto(`${demo.url}/`, { referer: GADGETS });
  await settled(page);
  const decision = await page.evaluate(() => window.perso.decision());
  assert.equal(decision.placements.find((p) => p.placement === "hero")?.campaign, "aff-hero", "decided");
  assert.equal(await slotText(page, "hero"), "", "but the revealed default stays in front of the shopper");
  assert.ok(await page.isVisible(".hero-default"));
  await context.close();
});

test("strict CSP on every page, no violations, debug overlay with context and explanation", async () => {
  const { context, page, log } = await newPage();
  for (const path of ["/", "/category/audio", "/product/HP-100", "/cart", "/login", "/affiliate/gadgets"]) {
    const response = await page.goto(`${demo.url}${path}?perso_debug=1`, { referer: GADGETS });
    const csp = response.headers()["content-security-policy"];
    assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'/);
    assert.doesNotMatch(csp, /'unsafe-eval'|'unsafe-inline'/);
    if (path !== "/affiliate/gadgets") await settled(page);
    assert.deepEqual(await page.evaluate(() => window.__cspViolations), [], `CSP violations on ${path}`);
  }
  await page.goto(`${demo.url}/?perso_debug=1`, { referer: GADGETS });
  await settled(page);
  // The overlay loads on demand, with the engine's full build (explain).
  await page.waitForFunction(() => /aff-hero: won/.test(document.querySelector("perso-debug")?.shadowRoot.textContent ?? ""), null, { timeout: 10_000 });
  const overlay = await page.evaluate(() => document.querySelector("perso-debug")?.shadowRoot.textContent ?? "");
  assert.match(overlay, /aff-hero: won/);
  assert.match(overlay, /hv-welcome: excluded/);
  assert.match(overlay, /"referrer_host": "gadgets.com"/);
  await shot(page, "feature-debug-overlay");
  assert.deepEqual(log.pageErrors, []);
  await context.close();
});

test("consent required: nothing stored until granted (perso.consent or Consent Mode), erased when withdrawn", async () => {
  const { context, page } = await newPage();
  await page.route(/\/(\?.*)?$/, async (route) => {
    const response = await route.fetch();
    const html = (await response.text()).replace("data-bundle=", 'data-consent="required" data-bundle=');
    await route.fulfill({ response, body: html });
  });
  await page.goto(`${demo.url}/`, { referer: GADGETS });
  await settled(page);
  assert.deepEqual(await perKeys(page), [], "nothing stored before consent");
  assert.match(await slotText(page, "hero"), /Gadgets\.com readers/, "decides from the page alone");

  await page.evaluate(() => window.perso.consent(true));
  assert.deepEqual(await perKeys(page), ["perso:v1:cart", "perso:v1:serial", "perso:v2:bundle", "perso:v2:visitor"]);

  // Google Consent Mode, gtag form: personalization_storage denied erases everything.
  await page.evaluate(() => {
    function gtag() {
      window.dataLayer.push(arguments);
    }
    gtag("consent", "update", { personalization_storage: "denied" });
  });
  assert.deepEqual(await perKeys(page), []);
  await page.evaluate(() => {
    function gtag() {
      window.dataLayer.push(arguments);
    }
    gtag("consent", "update", { personalization_storage: "granted" });
  });
  assert.equal((await perKeys(page)).length, 4);
  await context.close();
});

test("Global Privacy Control: no persistent state, consent-gated campaigns off", async () => {
  const { context, page } = await newPage();
  await page.addInitScript(() => Object.defineProperty(Navigator.prototype, "globalPrivacyControl", { get: () => true }));
  await page.goto(`${demo.url}/`);
  await settled(page);
  // Stated interests (zero-party data) would normally drive the hero; with GPC they are not kept.
  await page.waitForSelector('perso-popup[data-perso-campaign="anon-register"] [role=dialog]', { timeout: 10_000 });
  await page.locator("perso-popup input[value=audio]").check();
  await page.locator("perso-popup button[type=submit]").click();
  assert.deepEqual(await perKeys(page), []);
  await page.goto(`${demo.url}/`);
  await settled(page);
  assert.equal(await slotText(page, "hero"), "", "nothing remembered across pages");
  assert.deepEqual(await perKeys(page), []);
  // Explain is for the store's engineers: only in debug mode.
  assert.equal(await page.evaluate(() => typeof window.perso.explain), "undefined");
  await page.goto(`${demo.url}/?perso_debug=1`);
  await settled(page);
  const explain = await page.evaluate(() => window.perso.explain());
  assert.ok(explain.campaigns.some((c) => c.campaign === "interest-hero-audio" && c.outcome === "excluded"));
  await context.close();
});

test("calls and dataLayer events from before perso loaded are applied (queue, both GA4 forms)", async () => {
  const { context, page } = await newPage();
  await page.addInitScript(() => {
    window.perso = [["setCustomer", { known: true, first_name: "Grace", ltv_band: "top" }]];
    window.dataLayer = [{ event: "add_to_cart", ecommerce: { items: [{ item_id: "PH-600", item_category: "phones", price: 599, quantity: 1 }] } }];
    window.dataLayer.push(["event", "add_to_cart", { items: [{ item_id: "WT-400", item_category: "wearables", price: 99, quantity: 2 }] }]);
  });
  await page.goto(`${demo.url}/product/SH-700`);
  await settled(page);
  assert.equal(await slotText(page, "greeting"), "Welcome back, Grace!");
  const strip = await slotText(page, "cross_sell");
  assert.match(strip, /Goes well with your cart/);
  assert.match(strip, /Slim phone case|Sport strap/);
  const cart = await page.evaluate(() => JSON.parse(localStorage.getItem("perso:v1:cart")));
  assert.deepEqual(cart.map((l) => [l.sku, l.qty]), [["PH-600", 1], ["WT-400", 2]]);
  // remove_from_cart and purchase.
  await page.evaluate(() => window.dataLayer.push({ event: "remove_from_cart", ecommerce: { items: [{ item_id: "WT-400", quantity: 2 }] } }));
  assert.deepEqual((await page.evaluate(() => JSON.parse(localStorage.getItem("perso:v1:cart")))).map((l) => l.sku), ["PH-600"]);
  await page.evaluate(() => window.dataLayer.push({ event: "purchase", ecommerce: { transaction_id: "T1", items: [] } }));
  assert.deepEqual(await page.evaluate(() => JSON.parse(localStorage.getItem("perso:v1:cart"))), []);
  assert.equal(await slotText(page, "cross_sell"), "", "cross-sell removed with the cart");
  await context.close();
});

test("SPA navigation (history API) counts a page view and decides again", async () => {
  const { context, page } = await newPage();
  await page.goto(`${demo.url}/`, { referer: GADGETS });
  await settled(page);
  const pages = async () => (await storedVisitor(page)).session.pages;
  assert.equal(await pages(), 1);
  const before = (await persoEvents(page, "perso:decision")).length;
  await page.evaluate(() => history.pushState({}, "", "/category/audio"));
  await page.waitForFunction((n) => window.__persoEvents.filter((e) => e.type === "perso:decision").length > n, before);
  assert.equal(await pages(), 2);
  await page.evaluate(() => history.back());
  await page.waitForFunction(() => location.pathname === "/");
  for (let i = 0; i < 50 && (await pages()) !== 3; i++) await page.waitForTimeout(50);
  assert.equal(await pages(), 3);
  await context.close();
});

test("exit intent (desktop): pointer leaving through the top shows the offer; history untouched", async () => {
  const { context, page } = await newPage();
  await serveVariant(page, (b) => {
    const offer = campaign(b, "aff-offer");
    delete offer.condition;
    offer.trigger = { on: "exit_intent" };
  });
  await page.goto(`${demo.url}/`, { referer: GADGETS });
  await settled(page);
  const historyLength = await page.evaluate(() => history.length);
  await page.waitForTimeout(300);
  assert.equal(await page.locator("perso-popup").count(), 0, "not before the exit intent");
  await page.mouse.move(600, 300);
  await page.mouse.move(600, 2);
  await page.evaluate(() => document.documentElement.dispatchEvent(new MouseEvent("mouseout", { bubbles: true, clientX: 600, clientY: -2, relatedTarget: null })));
  await page.waitForSelector('perso-popup[data-perso-campaign="aff-offer"] [role=dialog]');
  assert.equal(await page.evaluate(() => history.length), historyLength, "no Back-button hijack");
  await context.close();
});

test("scroll depth and idle triggers; the toast closes with Esc and reports a dismissal", async () => {
  const { context, page } = await newPage({ viewport: { width: 1280, height: 500 } });
  await serveVariant(page, (b) => {
    const offer = campaign(b, "aff-offer");
    delete offer.condition;
    offer.trigger = { on: "scroll", percent: 50 };
    const hero = campaign(b, "aff-hero");
    hero.trigger = { on: "idle", seconds: 1 };
  });
  await page.goto(`${demo.url}/`, { referer: GADGETS });
  await settled(page);
  assert.equal(await page.locator("perso-popup").count(), 0);
  await page.mouse.wheel(0, 4000);
  await page.waitForSelector('perso-popup[data-perso-campaign="aff-offer"] [role=dialog]');
  await page.keyboard.press("Escape");
  assert.equal(await page.locator("perso-popup").count(), 0);
  assert.deepEqual((await persoEvents(page, "perso:dismiss")).map((e) => e.detail.campaign), ["aff-offer"]);
  // The idle-triggered hero: 1 s without input. The hero is scrolled out of view by now,
  // so filling it is not a swap in front of the shopper.
  assert.equal(await slotText(page, "hero"), "");
  await page.waitForFunction(() => document.querySelector("[data-perso-slot=hero]").dataset.persoCampaign === "aff-hero", null, { timeout: 5000 });
  assert.match(await slotText(page, "hero"), /Gadgets\.com readers/);
  await context.close();
});

test("the known-customer profile from a first-party inline JSON element", async () => {
  const { context, page } = await newPage();
  await page.route(`${demo.url}/`, async (route) => {
    const response = await route.fetch();
    const profile = '<script type="application/json" id="perso-customer">{"known":true,"first_name":"Lin","ltv_band":"top"}</script>';
    await route.fulfill({ response, body: (await response.text()).replace("</head>", `${profile}\n</head>`) });
  });
  await page.goto(`${demo.url}/`);
  await settled(page);
  assert.equal(await slotText(page, "greeting"), "Welcome back, Lin!");
  assert.deepEqual(await page.evaluate(() => window.__cspViolations), [], "a JSON data block is not a script under CSP");
  await context.close();
});

test("bundle text is inserted as text, never as HTML", async () => {
  const { context, page } = await newPage();
  await serveVariant(page, (b) => {
    const hero = campaign(b, "aff-hero");
    hero.action.title = '<img src=x onerror="window.__pwned=1">Hello';
    hero.action.body = "<b>bold?</b> &amp; <script>window.__pwned=2</script>";
  });
  await page.goto(`${demo.url}/`, { referer: GADGETS });
  await settled(page);
  const hero = await page.evaluate(() => {
    const root = document.querySelector("[data-perso-slot=hero]").shadowRoot;
    return { h2: root.querySelector("h2").textContent, p: root.querySelector("p").textContent, elements: root.querySelectorAll("img, b, script").length };
  });
  assert.deepEqual(hero, {
    h2: '<img src=x onerror="window.__pwned=1">Hello',
    p: "<b>bold?</b> &amp; <script>window.__pwned=2</script>",
    elements: 0,
  });
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  await context.close();
});

test("javascript: links: the compiler refuses the bundle with the JSON path named; one slipped into a compiled bundle is not rendered", async () => {
  const bundle = JSON.parse(BUNDLE_TEXT);
  campaign(bundle, "aff-hero").action.cta = { label: "Click", url: "javascript:window.__pwned=2" };
  assert.throws(() => compileBundle(Buffer.from(JSON.stringify(bundle))), /campaigns\[1\]\.action\.cta\.url/);
  // A compiled bundle whose host section was edited (and re-signed) to carry one anyway:
  // the renderer asks the engine's URL rule and shows no such link.
  const { context, page } = await newPage();
  const good = compileBundle(Buffer.from(BUNDLE_TEXT));
  const url = "/category/audio";
  const evil = "java\nscript:x";
  const edited = Buffer.from(good.toString("latin1").replace(`"url":"${url}"`, `"url":"${JSON.stringify(evil).slice(1, -1).padEnd(url.length, " ")}"`), "latin1");
  assert.ok(!edited.equals(good));
  await serveCompiled(page, edited);
  await page.goto(`${demo.url}/`, { referer: GADGETS });
  await settled(page);
  assert.match(await slotText(page, "hero"), /Gadgets\.com readers/);
  assert.equal(await page.locator("[data-perso-slot=hero] a.cta").count(), 0, "no link rendered");
  await context.close();
});

test("a click on a banner link is recorded in the visitor state before navigating", async () => {
  const { context, page } = await newPage();
  await page.goto(`${demo.url}/`, { referer: GADGETS });
  await settled(page);
  await page.locator("[data-perso-slot=hero] a.cta").click();
  await page.waitForURL(/\/category\/audio$/);
  await settled(page);
  // The click was recorded in the visitor state before the navigation.
  const record = (await storedVisitor(page)).campaigns.find((c) => c.id === "aff-hero");
  assert.equal(record.clicks, 1);
  assert.match(await popupText(page), /^$/);
  await context.close();
});

test("npm-style use: import { start } from the module, no data attributes, options in code", async () => {
  const { context, page } = await newPage();
  const csp = { "Content-Security-Policy": "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data: blob:; object-src 'none'" };
  await page.route(`${demo.url}/npm-demo`, (route) => route.fulfill({
    contentType: "text/html",
    headers: csp,
    body: `<!doctype html><html><head><link rel="icon" href="data:,"><script type="module" src="/npm-entry.js"></script></head>
<body><div data-perso-slot="hero"><p class="hero-default">Default</p></div><div data-perso-slot="cross_sell"></div></body></html>`,
  }));
  await page.route(`${demo.url}/npm-entry.js`, (route) => route.fulfill({
    contentType: "text/javascript",
    headers: csp,
    body: `import { start } from "/perso/perso.js";
const chats = [];
const perso = await start({ bundle: "/perso/bundle.bin", key: ${JSON.stringify(demo.key.publicKeyBase64)}, onChat: (d) => chats.push(d) });
perso.setCart([{ item_id: "SH-700", item_category: "smart-home", price: 35, quantity: 1 }]);
window.__started = { version: perso.version, same: perso === window.perso };`,
  }));
  await page.goto(`${demo.url}/npm-demo`);
  await page.waitForFunction(() => window.__started);
  assert.deepEqual(await page.evaluate(() => window.__started), { version: "0.2.0", same: true });
  assert.match(await slotText(page, "cross_sell"), /Glow smart bulb/);
  assert.deepEqual(await page.evaluate(() => window.__cspViolations), []);
  await context.close();
});

test("exit intent (mobile): a fast upward scroll shows the offer; a slow one does not", async () => {
  const { context, page } = await newPage({ viewport: { width: 390, height: 700 }, isMobile: true, hasTouch: true });
  await serveVariant(page, (b) => {
    const offer = campaign(b, "aff-offer");
    delete offer.condition;
    offer.trigger = { on: "exit_intent" };
  });
  await page.goto(`${demo.url}/`, { referer: GADGETS });
  await settled(page);
  assert.equal(await page.evaluate(() => window.perso.decision().placements.find((p) => p.placement === "popup").campaign), "aff-offer");
  const frame = () => page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 50))));
  // Reading down the page, then scrolling back up slowly: not an exit.
  await page.evaluate(() => window.scrollTo(0, 1200));
  await frame();
  for (let y = 1150; y >= 800; y -= 50) {
    await page.evaluate((top) => window.scrollTo(0, top), y);
    await page.waitForTimeout(120);
  }
  assert.equal(await page.locator("perso-popup").count(), 0, "a slow scroll up is reading, not leaving");
  // A flick back to the top (towards the address bar): exit intent.
  await page.evaluate(() => window.scrollTo(0, 1200));
  await frame();
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForSelector('perso-popup[data-perso-campaign="aff-offer"] [role=dialog]');
  await shot(page, "feature-mobile-exit-intent");
  await context.close();
});

test("interruptions stay off account and checkout pages by default; the registration prompt may be a toast", async () => {
  // The sign-in page (page.type "account"): no prompt over the sign-in form, however long one waits.
  const { context, page } = await newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${demo.url}/login`);
  await settled(page);
  await page.waitForTimeout(3800); // past the prompt's 3 s dwell
  assert.equal(await page.locator("perso-popup").count(), 0, "no interruption on the sign-in page");
  const lastDecision = (await persoEvents(page, "perso:decision")).at(-1);
  assert.ok(!lastDecision.detail.placements.some((p) => p.placement === "popup"), "the engine decided none (guardrails.quiet_page_types)");
  await context.close();

  // The same prompt as a toast, on the home page: the page stays usable around it.
  const toast = await newPage({ viewport: { width: 1280, height: 800 } });
  await serveVariant(toast.page, (bundle) => {
    campaign(bundle, "anon-register").action.display = "toast";
  });
  await toast.page.goto(`${demo.url}/`);
  await settled(toast.page);
  await toast.page.waitForSelector('perso-popup[data-perso-campaign="anon-register"] [role=dialog]', { timeout: 10_000 });
  const box = await toast.page.evaluate(() => {
    const dialog = document.querySelector("perso-popup").shadowRoot.querySelector("[role=dialog]");
    return { modal: dialog.getAttribute("aria-modal"), toast: dialog.classList.contains("toast"), backdrop: Boolean(dialog.closest(".backdrop")) };
  });
  assert.deepEqual(box, { modal: "false", toast: true, backdrop: false });
  await toast.page.click("a[href='/login']"); // the page behind is not covered
  await toast.page.waitForURL(`${demo.url}/login`);
  await shot(toast.page, "register-toast-then-login");
  await toast.context.close();
});

test("consent required, granted late on a returning visitor's page: their stored state continues (not replaced by a fresh one)", async () => {
  const { context, page } = await newPage();
  await page.route(/\/(\?.*)?$/, async (route) => {
    const response = await route.fetch();
    const html = (await response.text()).replace("data-bundle=", 'data-consent="required" data-bundle=');
    await route.fulfill({ response, body: html });
  });
  // First visit: consent granted, the visit is stored.
  await page.goto(`${demo.url}/`);
  await settled(page);
  await page.evaluate(() => window.perso.consent(true));
  const first = await storedVisitor(page);
  assert.equal(first.session.pages, 1);
  const storedText = await page.evaluate(() => localStorage.getItem("perso:v2:visitor"));

  // The next page: the consent platform answers only after perso has started.
  await page.goto(`${demo.url}/`);
  await settled(page);
  assert.equal(await page.evaluate(() => localStorage.getItem("perso:v2:visitor")), storedText, "nothing written (or erased) before consent");
  await page.evaluate(() => window.perso.consent(true));
  const after = await storedVisitor(page);
  assert.equal(after.id, first.id, "the same visitor");
  assert.equal(after.session.pages, 2, "this page view is counted in the stored state");
  await context.close();
});

test("demo sign-in is the server's: the profile comes only from a real session; storage edits, a wrong password or a cross-site post make no one Ada", async () => {
  const { context, page } = await newPage();
  // A shopper writes Ada's profile wherever the old demo kept it: nothing changes.
  await page.goto(`${demo.url}/`);
  await page.evaluate(() => {
    localStorage.setItem("gizmos:customer", JSON.stringify({ known: true, first_name: "Ada", ltv_band: "top" }));
    localStorage.setItem("perso-customer", "{\"known\":true,\"first_name\":\"Ada\"}");
  });
  await page.goto(`${demo.url}/`);
  await settled(page);
  assert.equal(await slotText(page, "greeting"), "", "no greeting for a forged profile");
  assert.equal(await page.locator("#perso-customer").count(), 0);

  // A wrong password: not signed in, told so.
  await page.goto(`${demo.url}/login`);
  await page.fill("input[name=email]", "ada@gizmos.test");
  await page.fill("input[name=password]", "guess");
  await page.click("form[data-login] button[type=submit]");
  await page.waitForURL(`${demo.url}/login?error=1`);
  assert.equal(await page.locator("[data-login-error]").isVisible(), true);
  assert.deepEqual(await context.cookies(), []);

  // The right one: the server renders Ada's profile (from perso profiles' customers table).
  await page.fill("input[name=email]", "ada@gizmos.test");
  await page.fill("input[name=password]", "gizmos-demo");
  await page.click("form[data-login] button[type=submit]");
  await page.waitForURL(`${demo.url}/`);
  await settled(page);
  const profile = JSON.parse(await page.locator("#perso-customer").textContent());
  assert.deepEqual(profile, { known: true, first_name: "Ada", ltv_band: "top", rfm: { f: 5, m: 5, r: 5, score: 15 } });
  assert.equal(await slotText(page, "greeting"), "Welcome back, Ada!");
  // Signing out ends the session on the server.
  await page.click("form.signout button");
  await page.waitForURL(`${demo.url}/`);
  await settled(page);
  assert.equal(await page.locator("#perso-customer").count(), 0);
  assert.equal(await slotText(page, "greeting"), "");
  await context.close();

  // A form posted from another site is refused before the password is looked at.
  const response = await fetch(`${demo.url}/login`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: "https://evil.example", "Sec-Fetch-Site": "cross-site" },
    body: "email=ada%40gizmos.test&password=gizmos-demo",
    redirect: "manual",
  });
  assert.equal(response.status, 403);
  assert.equal(response.headers.get("set-cookie"), null);
});
