// Test harness: the fixture origin on 127.0.0.1, a freshly generated Ed25519 bundle
// key, the Gizmos bundle compiled by the one compiler (the full Node build, as
// `perso publish` does), and the worker running in workerd through Miniflare (the
// exact version the team pins), with a cookie jar per simulated visitor.

import { Miniflare } from "miniflare";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { startOrigin } from "./fixtures/origin.js";

export const REPO = fileURLToPath(new URL("../../", import.meta.url));
/** The bundle's JSON source (what marketers write) and its compiled form (what hosts load). */
export const BUNDLE_TEXT = readFileSync(new URL("www/bundle.json", `file://${REPO}`), "utf8");
const tools = createRequire(import.meta.url)("../../pkg-node/perso.js");

/**
 * The compiled form (bundle.bin) of a JSON bundle; throws with the compiler's message.
 * `maxBytes` raises the compiler's size limit (tests of oversized bundles).
 */
export function compileBundle(text, { maxBytes } = {}) {
  const bytes = tools.compileBundle(new TextEncoder().encode(text), maxBytes);
  if (!bytes) throw Object.assign(new Error(JSON.parse(tools.lastErrorMessage()).message), JSON.parse(tools.lastErrorMessage()));
  return bytes;
}
export const BUNDLE_BIN = compileBundle(BUNDLE_TEXT);
/** Standard base64 (PERSO_BUNDLE's inline form). */
export const base64 = (bytes) => Buffer.from(bytes).toString("base64");
export const STATE_KEY = "test-state-key-0123456789abcdef-0123456789";
export const STATE_KID = "test";
export const CUSTOMER_KEY = "test-store-key-fedcba9876543210";
export const T0 = Date.parse("2026-11-25T10:00:00Z");

process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";

export async function generateSigner(kid = "test-1") {
  const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"]);
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  const publicKey = Buffer.from(raw).toString("base64");
  return {
    kid,
    publicKey,
    /** The detached signature file (bundle.bin.sig) of bytes (or text). */
    async sign(bytes) {
      const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
      const sig = await crypto.subtle.sign({ name: "Ed25519" }, pair.privateKey, data);
      return JSON.stringify({ alg: "Ed25519", kid, sig: Buffer.from(sig).toString("base64") });
    },
  };
}

/**
 * Starts origin + worker. `bindings` override the defaults (the compiled bundle inline,
 * base64, signed); `bundle` is the compiled bundle to sign and inline.
 * Returns { origin, mf, url, logs, visitor(), close() }.
 */
export async function startEdge({ bindings = {}, dataBlobs, originFiles, bundle = BUNDLE_BIN, vectorsText, entry = "./worker-under-test.js" } = {}) {
  const signer = await generateSigner();
  const signature = await signer.sign(bundle);
  const origin = await startOrigin(originFiles ?? { bundle, signature });
  const logs = [];
  const options = {
    modules: true,
    scriptPath: fileURLToPath(new URL(entry, import.meta.url)),
    modulesRoot: REPO,
    modulesRules: [
      { type: "ESModule", include: ["**/*.js", "**/*.mjs"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    compatibilityDate: "2025-09-01",
    host: "127.0.0.1",
    bindings: withoutUndefined({
      PERSO_PUBLIC_KEYS: signer.publicKey,
      PERSO_BUNDLE: base64(bundle),
      PERSO_BUNDLE_SIG: signature,
      PERSO_STATE_KEYS: `${STATE_KID}:${STATE_KEY}`,
      PERSO_CUSTOMER_KEY: CUSTOMER_KEY,
      PERSO_ORIGIN: origin.url,
      PERSO_TEST_VECTORS: vectorsText ?? readFileSync(`${REPO}tests/vectors/gizmos.json`, "utf8"),
      ...bindings,
      // A binding given as bytes (a Data module in wrangler) replaces the text one.
      ...Object.fromEntries(Object.keys(dataBlobs ?? {}).map((name) => [name, undefined])),
    }),
    ...(dataBlobs ? { dataBlobBindings: dataBlobs } : {}),
    handleRuntimeStdio(stdout, stderr) {
      const collect = (chunk) => {
        for (const line of String(chunk).split("\n")) if (line.trim()) logs.push(line);
      };
      stdout.on("data", collect);
      stderr.on("data", collect);
    },
  };
  const mf = new Miniflare(options);
  const url = await mf.ready;
  return {
    origin,
    mf,
    options,
    url,
    signer,
    logs,
    /** perso log lines (parsed) whose code matches. */
    logged(code) {
      return logs.filter((line) => line.includes('"perso":"edge"')).map((line) => JSON.parse(line.slice(line.indexOf("{")))).filter((entry) => entry.code === code);
    },
    visitor(defaults = {}) {
      return new Visitor(url, defaults);
    },
    async close() {
      await mf.dispose();
      await origin.close();
    },
  };
}

const withoutUndefined = (object) => Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));

/** A browser without JavaScript: keeps cookies, sends real HTTP to the worker. */
export class Visitor {
  constructor(base, { headers = {} } = {}) {
    this.base = base;
    this.headers = headers;
    this.jar = new Map();
  }

  cookieHeader() {
    return [...this.jar].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  async get(path, { at, headers = {}, method = "GET", body } = {}) {
    const all = { ...this.headers, ...headers };
    // A browser posting a form from the store's own page says so.
    if (method === "POST" && !("origin" in all) && !("sec-fetch-site" in all)) all.origin = new URL(this.base).origin;
    if (at !== undefined) all["x-test-now"] = String(at);
    const cookie = this.cookieHeader();
    if (cookie && !("cookie" in all)) all.cookie = cookie;
    const response = await fetch(new URL(path, this.base), { method, headers: all, body, redirect: "manual" });
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (attributes.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === "") this.jar.delete(name);
      else this.jar.set(name, value);
    }
    const text = await response.text();
    return { response, status: response.status, headers: response.headers, text };
  }
}

/** The HTML inside the first element carrying `data-perso-slot="name"` (nesting-aware). */
export function slot(html, name) {
  const open = new RegExp(`<(\\w+)([^>]*data-perso-slot="${name}"[^>]*)>`).exec(html);
  if (!open) return null;
  const tag = open[1];
  const start = open.index + open[0].length;
  const tags = new RegExp(`<(/?)${tag}\\b[^>]*>`, "g");
  tags.lastIndex = start;
  let depth = 1;
  for (let match; (match = tags.exec(html)); ) {
    depth += match[1] ? -1 : 1;
    if (depth === 0) return { attributes: open[2], inner: html.slice(start, match.index) };
  }
  return { attributes: open[2], inner: html.slice(start) };
}

export function renderedCampaign(html, name) {
  const found = slot(html, name);
  const match = found && /data-perso-rendered="([^"]*)"/.exec(found.attributes);
  return match ? match[1] : null;
}
