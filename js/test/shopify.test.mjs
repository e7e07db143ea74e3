// perso on Shopify without a Shopify runtime: the theme app extension's Liquid
// (integrations/shopify/) rendered by a real Liquid engine (liquidjs) against golden
// output, then the rendered app embed driving a theme-like page in headless Chromium
// with Shopify's globals (`Shopify.routes`, `Shopify.customerPrivacy`), a stub Ajax
// cart (`GET /cart.js`, `POST /cart/add.js`) and the extension's assets served from
// another origin, as Shopify's CDN serves them.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { Liquid, Tag } from "liquidjs";
import { launchBrowser, instrumentPage, settled, slotText, shot } from "./helpers.mjs";
import { compileBundle, signBundle } from "../serve.mjs";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const EXTENSION = `${repo}integrations/shopify/`;
const GOLDEN = `${EXTENSION}test/golden/`;

/** Liquid as Shopify runs it, for what the extension uses: `asset_url`, `{% schema %}`, `{% render %}` from snippets/. */
function shopifyLiquid(assetBase) {
  const engine = new Liquid({ root: [`${EXTENSION}blocks/`, `${EXTENSION}snippets/`], extname: ".liquid", strictFilters: true });
  engine.registerFilter("asset_url", (name) => `${assetBase}${name}`);
  engine.registerTag("schema", class extends Tag {
    constructor(token, remain, liquid) {
      super(token, remain, liquid);
      for (let next = remain.shift(); next && !(next.name === "endschema"); next = remain.shift());
    }
    *render() {}
  });
  return engine;
}

const schemaOf = () => JSON.parse(/{% schema %}([\s\S]*?){% endschema %}/.exec(readFileSync(`${EXTENSION}blocks/perso-embed.liquid`, "utf8"))[1]);
const defaults = () => Object.fromEntries(schemaOf().settings.filter((s) => "default" in s).map((s) => [s.id, s.default]));

const ADA = {
  id: 7001234567, email: "ada@example.com", phone: "+15550100", first_name: "Ada", last_name: "Lovelace",
  orders_count: 12, total_spent: 184500, accepts_marketing: true,
  tags: ["perso:ltv:high", "perso:audio_fan", "VIP", "fraud-review", "perso:", "Perso:wrong-case", "perso:smart_home"],
  default_address: { address1: "12 St James's Square", city: "London" },
};

function render(liquid, customer, settings = {}) {
  return liquid.renderFileSync("perso-embed", {
    block: { settings: { ...defaults(), public_key: "PUBLICKEYBASE64", ...settings } },
    customer,
    cart: { currency: { iso_code: "EUR" } },
    shop: { currency: "USD" },
  });
}

const customerJson = (html) => {
  const match = /<script type="application\/json" id="perso-customer">([\s\S]*?)<\/script>/.exec(html);
  return match ? JSON.parse(match[1]) : null;
};

function golden(name, html) {
  const file = `${GOLDEN}${name}.html`;
  if (process.env.UPDATE_GOLDEN === "1") writeFileSync(file, html);
  assert.ok(existsSync(file), `${file} is missing (UPDATE_GOLDEN=1 writes it)`);
  assert.equal(html, readFileSync(file, "utf8"), `${name}: differs from ${file} (UPDATE_GOLDEN=1 rewrites it)`);
}

test("the app embed's Liquid renders the script tag and the customer's profile: golden output, nothing secret", () => {
  const liquid = shopifyLiquid("https://cdn.shopify.test/extensions/perso/assets/");
  const schema = schemaOf();
  assert.equal(schema.target, "head", "an app embed block in <head>");
  const anonymous = render(liquid, null);
  golden("anonymous", anonymous);
  assert.equal(customerJson(anonymous), null, "no profile for a guest");
  assert.match(anonymous, /<script type="module" src="https:\/\/cdn\.shopify\.test\/extensions\/perso\/assets\/perso-shopify\.js" data-bundle="\/apps\/perso\/bundle\.bin" data-key="PUBLICKEYBASE64" data-currency="EUR" data-cart-key="sku"><\/script>/);

  const known = render(liquid, ADA);
  golden("known-customer", known);
  assert.deepEqual(customerJson(known), { known: true, first_name: "Ada", ltv_band: "high", segments: ["audio_fan", "smart_home"] });
  for (const secret of ["ada@example.com", "7001234567", "+15550100", "Lovelace", "184500", "London", "VIP", "fraud-review"]) {
    assert.ok(!known.includes(secret), `${secret} is not on the page`);
  }
  const noName = render(liquid, ADA, { first_name: false, tag_prefix: "perso:" });
  assert.deepEqual(customerJson(noName), { known: true, ltv_band: "high", segments: ["audio_fan", "smart_home"] });
});

test("a hostile first name or tag cannot close the JSON element or inject markup", () => {
  const liquid = shopifyLiquid("https://cdn.shopify.test/extensions/perso/assets/");
  const evil = { first_name: "</script><script>alert(1)</script>", tags: ["perso:<b>x</b>", "perso:ltv:</script>"] };
  const html = render(liquid, evil, { bundle_url: '"><script>alert(2)</script>' });
  golden("hostile", html);
  assert.equal((html.match(/<script/g) ?? []).length, 2, "only perso's two script elements");
  assert.ok(!html.includes("</script><script>"));
  assert.deepEqual(customerJson(html), { known: true, first_name: "/script>script>alert(1)/script>", ltv_band: "/script>", segments: ["b>x/b>"] });
});

// ----- the rendered app embed in a theme page, in Chromium -----

const CATALOG = {
  40001: { sku: "SH-700", product_type: "smart-home", price: 3500, handle: "smart-plug", product_id: 9001 },
  40002: { sku: "SP-200", product_type: "audio", price: 12900, handle: "speaker", product_id: 9002 },
};
let store;
let cdn;
let browser;

before(async () => {
  execFileSync(process.execPath, [`${EXTENSION}build-assets.mjs`], { stdio: "ignore" });
  const bundleBytes = compileBundle(readFileSync(`${repo}www/bundle.json`));
  const signed = await signBundle(bundleBytes);
  // Shopify's CDN: the extension's assets, from another origin, with CORS.
  cdn = await listen((req, res) => {
    const name = new URL(req.url, "http://x").pathname.replace(/^\/extensions\/perso\/assets\//, "");
    const file = `${EXTENSION}assets/${name}`;
    if (!/^[\w.-]+$/.test(name) || !existsSync(file)) return reply(res, 404, "text/plain", "not found");
    const types = { ".js": "text/javascript", ".wasm": "application/wasm", ".css": "text/css" };
    reply(res, 200, types[extname(name)] ?? "application/octet-stream", readFileSync(file), { "Access-Control-Allow-Origin": "*" });
  });
  const liquid = shopifyLiquid(`${cdn.url}/extensions/perso/assets/`);
  store = await listen((req, res) => {
    const { pathname } = new URL(req.url, "http://x");
    store.requests.push(`${req.method} ${pathname}`);
    const csp = `default-src 'self'; script-src 'self' ${cdn.url} 'wasm-unsafe-eval'; style-src 'self' ${cdn.url}; connect-src 'self' ${cdn.url}; img-src 'self' data: blob:; object-src 'none'; base-uri 'none'`;
    const headers = { "Content-Security-Policy": csp };
    if (pathname === "/") {
      const embed = render(liquid, store.customer, { public_key: signed.publicKey });
      const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,">
<script src="/shopify-globals.js"></script>
${embed}
</head><body>
<div data-perso-slot="greeting"></div>
<div data-perso-slot="hero" data-perso-wait><p>Gadgets you will love</p></div>
<div data-perso-slot="cross_sell"></div>
<button id="add" type="button">Add the speaker</button>
<script type="module" src="/theme.js"></script>
</body></html>`;
      return reply(res, 200, "text/html; charset=utf-8", page, headers);
    }
    if (pathname === "/shopify-globals.js") {
      // What Shopify puts on every storefront page (inline there; a file here, for the strict CSP).
      return reply(res, 200, "text/javascript", `window.Shopify = { shop: "gizmos.myshopify.com", currency: { active: "EUR" }, routes: { root: "/" },
  customerPrivacy: { preferencesProcessingAllowed: () => true, currentVisitorConsent: () => ({ preferences: "yes" }) } };`, headers);
    }
    if (pathname === "/theme.js") {
      // The theme's product form: Shopify's Ajax cart API, as Dawn calls it.
      return reply(res, 200, "text/javascript", `document.getElementById("add").addEventListener("click", async () => {
  const response = await fetch("/cart/add.js", { method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" }, body: JSON.stringify({ items: [{ id: 40002, quantity: 1 }] }) });
  window.__added = response.ok;
});`, headers);
    }
    if (pathname === "/cart.js") return reply(res, 200, "application/json", JSON.stringify(cartJson(store.cart)), headers);
    if (pathname === "/cart/add.js" && req.method === "POST") {
      let body = "";
      req.on("data", (chunk) => (body += chunk));
      req.on("end", () => {
        for (const { id, quantity } of JSON.parse(body).items) store.cart.set(id, (store.cart.get(id) ?? 0) + quantity);
        reply(res, 200, "application/json", JSON.stringify({ items: [] }), headers);
      });
      return;
    }
    if (pathname === "/apps/perso/bundle.bin") return reply(res, 200, "application/octet-stream", bundleBytes, headers);
    if (pathname === "/apps/perso/bundle.bin.sig") return reply(res, 200, "application/json", signed.signatureFile, headers);
    if (pathname.startsWith("/img/") && /^\/img\/[\w.-]+$/.test(pathname) && existsSync(`${repo}www${pathname}`)) {
      return reply(res, 200, "image/svg+xml", readFileSync(`${repo}www${pathname}`), headers);
    }
    return reply(res, 404, "text/plain", "not found", headers);
  });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await store?.close();
  await cdn?.close();
});

function reply(res, status, type, body, headers = {}) {
  res.writeHead(status, { "Content-Type": type, "Cache-Control": "no-cache", ...headers });
  res.end(body);
}

async function listen(handler) {
  const server = createServer(handler);
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, requests: [], close: () => new Promise((resolve) => server.close(resolve)) };
}

/** Shopify's /cart.js for quantities by variant id (prices in cents). */
function cartJson(cart) {
  const items = [...cart].map(([id, quantity]) => ({ id, variant_id: id, quantity, title: CATALOG[id].handle, price: CATALOG[id].price, final_price: CATALOG[id].price, ...CATALOG[id] }));
  return { token: "c1", item_count: items.reduce((n, i) => n + i.quantity, 0), total_price: items.reduce((n, i) => n + i.price * i.quantity, 0), currency: "EUR", items };
}

test("the app embed in a theme: the signed-in customer greeted, the cart from /cart.js feeds the cross-sell, cart changes follow, the high-value offer from her tags", async () => {
  store.customer = ADA;
  store.cart = new Map([[40001, 1]]);
  store.requests = [];
  const context = await browser.newContext();
  const page = await context.newPage();
  const log = await instrumentPage(page);
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  await page.goto(`${store.url}/`);
  await settled(page);
  await page.waitForFunction(() => /Goes well with your cart/.test(document.querySelector("[data-perso-slot=cross_sell]")?.shadowRoot?.textContent ?? ""));
  assert.match(await slotText(page, "greeting"), /Ada/, "the profile from the app embed's JSON");
  const strip = await slotText(page, "cross_sell");
  assert.match(strip, /Goes well with your cart/);
  assert.deepEqual(JSON.parse(await page.evaluate(() => localStorage.getItem("perso:v1:cart"))), [{ sku: "SH-700", category: "smart-home", price: 35, qty: 1 }]);
  // The value band from the customer's tags (perso:ltv:high) makes her high-value: her offer.
  await page.waitForFunction(() => /Free shipping on your next purchase over \$100/.test([...document.querySelectorAll("perso-popup")].map((h) => h.shadowRoot.textContent).join()));

  // The theme adds to the cart with the Ajax API: perso reads the new cart.
  await page.click("#add");
  await page.waitForFunction(() => JSON.parse(localStorage.getItem("perso:v1:cart") ?? "[]").length === 2);
  assert.deepEqual(JSON.parse(await page.evaluate(() => localStorage.getItem("perso:v1:cart"))).map((l) => [l.sku, l.category, l.price, l.qty]), [["SH-700", "smart-home", 35, 1], ["SP-200", "audio", 129, 1]]);
  assert.ok(await page.evaluate(() => window.__added), "the theme's own request went through untouched");
  await shot(page, "shopify-app-embed");

  // What perso asked for: its files from the CDN, the bundle and signature, the store's own cart.
  const persoRequests = log.requests.map((r) => new URL(r.url)).filter((u) => u.protocol !== "blob:" && u.origin === store.url && !["/", "/shopify-globals.js", "/theme.js", "/cart/add.js"].includes(u.pathname) && !u.pathname.startsWith("/img/"));
  assert.deepEqual([...new Set(persoRequests.map((u) => u.pathname))].sort(), ["/apps/perso/bundle.bin", "/apps/perso/bundle.bin.sig", "/cart.js"]);
  assert.ok(log.requests.some((r) => r.url === `${cdn.url}/extensions/perso/assets/perso_bg.wasm`), "the wasm from beside perso.js on the CDN");
  assert.deepEqual(await page.evaluate(() => window.__csp), []);
  assert.deepEqual(log.pageErrors, []);
  await context.close();
});

test("a guest on the same theme: no profile, no greeting; the cart adapter still feeds the cross-sell", async () => {
  store.customer = null;
  store.cart = new Map([[40002, 2]]);
  const context = await browser.newContext();
  const page = await context.newPage();
  await instrumentPage(page);
  await page.goto(`${store.url}/`);
  await settled(page);
  await page.waitForFunction(() => JSON.parse(localStorage.getItem("perso:v1:cart") ?? "[]").length === 1);
  assert.equal(await page.evaluate(() => document.getElementById("perso-customer")), null);
  assert.equal(await slotText(page, "greeting"), "");
  await page.waitForFunction(() => /Goes well with your cart/.test(document.querySelector("[data-perso-slot=cross_sell]")?.shadowRoot?.textContent ?? ""));
  assert.equal(await page.evaluate(() => document.querySelectorAll("perso-popup").length === 0 || !/Free shipping on your next purchase/.test(document.querySelector("perso-popup").shadowRoot.textContent)), true, "no high-value offer for a guest");
  await context.close();
});
