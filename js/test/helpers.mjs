// Shared set-up for the end-to-end tests: the real demo server, real headless Chromium.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
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

/** Starts the demo server with a known key, so tests can sign bundle variants with it. */
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
  page.on("request", (request) => log.requests.push({ url: request.url(), method: request.method(), type: request.resourceType(), headers: request.allHeaders().catch(() => ({})) }));
  page.on("console", (message) => log.console.push({ type: message.type(), text: message.text() }));
  page.on("pageerror", (error) => log.pageErrors.push(String(error)));
  await page.addInitScript(() => {
    window.__persoEvents = [];
    for (const type of ["perso:decision", "perso:impression", "perso:click", "perso:dismiss", "perso:chat", "perso:error"]) {
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
