// Shared set-up for the end-to-end tests: the real demo server, real headless Chromium.
import { chromium } from "playwright-core";
import { mkdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { webcrypto } from "node:crypto";
import { startServer } from "../serve.mjs";

export const SCREENSHOT_DIR = fileURLToPath(new URL("../../test-output/e2e/", import.meta.url));
mkdirSync(SCREENSHOT_DIR, { recursive: true });

export const CHROMIUM_ARGS = [
  "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run",
];

export function launchBrowser() {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium", args: CHROMIUM_ARGS });
}

/** A fresh Ed25519 key pair as { pkcs8Base64, publicKeyBase64, sign(bytes) -> sig file text }. */
export async function makeSigningKey(kid = "demo") {
  const { subtle } = webcrypto;
  const pair = await subtle.generateKey("Ed25519", true, ["sign", "verify"]);
  const pkcs8Base64 = Buffer.from(await subtle.exportKey("pkcs8", pair.privateKey)).toString("base64");
  const publicKeyBase64 = Buffer.from(await subtle.exportKey("raw", pair.publicKey)).toString("base64");
  const sign = async (bytes, signKid = kid) => {
    const sig = Buffer.from(await subtle.sign("Ed25519", pair.privateKey, Buffer.from(bytes))).toString("base64");
    return JSON.stringify({ alg: "Ed25519", kid: signKid, sig });
  };
  return { pkcs8Base64, publicKeyBase64, sign };
}

/** Starts the demo server with a known key, so tests can sign bundle variants with it (and a fresh data dir). */
export async function startDemo(options = {}) {
  const key = await makeSigningKey();
  const server = await startServer({ port: 0, signingKey: key.pkcs8Base64, ...options });
  return { ...server, key };
}

/**
 * A page that records perso's events, console messages, page errors and every request.
 * Call before navigating.
 */
export async function instrumentPage(page) {
  const log = { requests: [], console: [], pageErrors: [] };
  // allHeaders(): the headers as sent on the wire (headers() omits some, e.g. Cookie).
  page.on("request", (request) => log.requests.push({ url: request.url(), method: request.method(), type: request.resourceType(), headers: request.allHeaders().catch(() => ({})), body: request.postData() }));
  page.on("console", (message) => log.console.push({ type: message.type(), text: message.text() }));
  page.on("pageerror", (error) => log.pageErrors.push(String(error)));
  await page.addInitScript(() => {
    window.__persoEvents = [];
    for (const type of ["perso:decision", "perso:impression", "perso:click", "perso:dismiss", "perso:chat", "perso:claim", "perso:error"]) {
      document.addEventListener(type, (event) => window.__persoEvents.push({ type, detail: event.detail }));
    }
  });
  return log;
}

export const persoEvents = (page, type) =>
  page.evaluate((t) => window.__persoEvents.filter((e) => !t || e.type === t), type);

/** Waits until perso has applied a decision or reported an error. */
export const settled = (page) =>
  page.waitForFunction(() => window.__persoEvents.some((e) => e.type === "perso:decision" || e.type === "perso:error"));

export const shot = (page, name) => page.screenshot({ path: `${SCREENSHOT_DIR}${name}.png`, fullPage: false });

/** Text of a slot's perso rendering (its shadow root), or "" when it shows the default. */
export const slotText = (page, placement) =>
  page.evaluate((p) => {
    const slot = document.querySelector(`[data-perso-slot="${p}"]`);
    const root = slot?.shadowRoot;
    if (!root || root.querySelector("slot")) return "";
    return root.textContent.trim();
  }, placement);

export const popupText = (page) =>
  page.evaluate(() => [...document.querySelectorAll("perso-popup")].map((h) => h.shadowRoot.textContent).join("\n"));

export { compileBundle } from "../serve.mjs";

const tools = (await import("node:module")).createRequire(import.meta.url)("../../pkg-node/perso.js");

/** The visitor state a page stored (perso's compact form), as JSON, read with the full engine. */
export async function storedVisitor(page) {
  const text = await page.evaluate(() => localStorage.getItem("perso:v2:visitor"));
  if (!text) return null;
  const visitor = tools.Visitor.fromBytes(Buffer.from(text, "base64"));
  try {
    return JSON.parse(visitor.toJson());
  } finally {
    visitor.free();
  }
}

/** Clicks the "Claim" button of the open pop-up; resolves to the display code or the refusal shown. */
export async function claimFromPopup(page) {
  await page.locator("perso-popup button[part=claim]").click();
  await page.waitForFunction(() => {
    const root = document.querySelector("perso-popup")?.shadowRoot;
    return root?.querySelector("[data-perso-claim]") || root?.querySelector(".claim [role=alert]")?.textContent;
  }, null, { timeout: 10_000 });
  return page.evaluate(() => {
    const root = document.querySelector("perso-popup").shadowRoot;
    const code = root.querySelector("[data-perso-claim]")?.textContent ?? null;
    return { code, refusal: code ? null : root.querySelector(".claim [role=alert]").textContent };
  });
}

/** The shop's cookies, both HttpOnly: its sign-in session (Path=/) and the checkout's (Path=/api). */
export const SHOP_COOKIES = { session: "gizmos_session", checkout: "gizmos_sid" };

/** Images the bundle can make perso show: what a request for one would reveal. */
const BUNDLE_IMAGES = (() => {
  const bundle = JSON.parse(readFileSync(new URL("../../www/bundle.json", import.meta.url), "utf8"));
  const urls = new Set();
  for (const product of Object.values(bundle.products ?? {})) if (product.image) urls.add(product.image);
  for (const c of bundle.campaigns) if (c.action?.image) urls.add(c.action.image);
  return urls;
})();

/**
 * The egress contract (docs/browser-runtime.md) on every request the page made: all to
 * the store's own origin. perso's own fetches (the shop's pages make none but to its
 * /api/) are its wasm, the bundle and signature GETs and the images of what it
 * rendered, each without cookies, Referer or query string, so the store's server
 * cannot tie a decision-dependent request to the visitor or the page; and, on each
 * "Claim" click (`claimClicks` of them), one POST to the store's claim endpoint
 * carrying `{campaign, link?, voucher?}` and nothing else, no cookies, no Referer.
 * With `page`, perso's rendered images make no request of their own (`src` is the
 * fetched blob).
 */
export async function assertEgress(log, origin, { claimClicks = 0, claimPath = "/api/claim", page = null } = {}) {
  const persoFetches = [];
  const claims = [];
  for (const request of log.requests) {
    request.headers = await request.headers;
    const url = new URL(request.url);
    if (url.origin !== origin) throw new Error(`request to another origin: ${request.url}`);
    if (url.pathname === claimPath) claims.push({ ...request, url });
    else if (url.pathname.startsWith("/api/")) continue; // the shop's own calls, with its session
    else if (request.type === "fetch" || request.type === "xhr") persoFetches.push({ ...request, url });
  }
  for (const request of persoFetches) {
    const { pathname } = request.url;
    const bundleGet = /^\/perso\/bundle\.bin(\.sig)?$/.test(pathname);
    const wasm = /^\/perso\/[\w.-]+\.wasm$/.test(pathname);
    if (!bundleGet && !wasm && !BUNDLE_IMAGES.has(pathname)) throw new Error(`perso requested ${request.url.href}`);
    if (request.method !== "GET" || request.url.search !== "") throw new Error(`${request.method} ${request.url.href}: perso's GETs carry no query`);
    if (wasm) continue; // the engine's code, the same for everyone
    // (A request served from the memory cache is reported with an empty Referer: none sent.)
    if (request.headers.cookie) throw new Error(`${pathname} carried the store's cookies`);
    if (request.headers.referer) throw new Error(`${pathname} carried a Referer (it holds the page URL)`);
  }
  if (!persoFetches.some((r) => r.url.pathname === "/perso/bundle.bin")) throw new Error("the bundle was not fetched");
  if (claims.length !== claimClicks) throw new Error(`${claims.length} claim requests for ${claimClicks} Claim clicks`);
  for (const request of claims) {
    if (request.method !== "POST" || request.url.search !== "") throw new Error(`claim request ${request.method} ${request.url.href}`);
    if (request.headers.referer) throw new Error("the claim request carries a Referer");
    if (request.headers.cookie) throw new Error("the claim request carries cookies");
    const body = JSON.parse(request.body ?? "null");
    const keys = Object.keys(body ?? {});
    if (typeof body?.campaign !== "string" || keys.some((k) => !["campaign", "link", "voucher"].includes(k))) {
      throw new Error(`the claim request carries more than the claim: ${request.body}`);
    }
  }
  if (page) {
    const imageSources = await page.evaluate(() => [...document.querySelectorAll("[data-perso-slot], perso-popup")]
      .flatMap((host) => [...(host.shadowRoot?.querySelectorAll("img") ?? [])].map((img) => img.getAttribute("src"))));
    for (const src of imageSources) if (!/^blob:/.test(src ?? "")) throw new Error(`a rendered image loads by itself: ${src}`);
  }
  return { claims: claims.map((r) => JSON.parse(r.body)) };
}
