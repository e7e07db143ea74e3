// Getting a bundle the engine may use: the last good one from the device (decides
// before any network), then the network's (a plain GET: no cookies, no referrer, no
// query), verified against the page's public key, compiled, and checked for freshness
// (anti-rollback, expiry) before it replaces the cached one.
import { PersoError } from "./errors.js";
import { verifyBundle } from "./signature.js";
import { STORAGE_KEYS } from "./storage.js";

const encoder = new TextEncoder();

/** The cached bundle `{ text, sig }` once its signature is checked; null when none is cached. */
export async function verifyCached(storage, keys) {
  const cached = storage.getJSON(STORAGE_KEYS.bundle);
  if (!cached || typeof cached.text !== "string" || typeof cached.sig !== "string") return null;
  await verifyBundle(encoder.encode(cached.text), cached.sig, keys);
  return cached;
}

/**
 * The cached bundle compiled, as `{ engine, text }`, or null. `verified` is the result
 * of `verifyCached` (done while the wasm loaded); without it, the signature is checked here.
 */
export async function loadCachedBundle(storage, keys, host, verified) {
  const cached = verified ?? (await verifyCached(storage, keys));
  if (!cached) return null;
  const engine = host.compile(cached.text);
  try {
    host.call(() => engine.checkFreshness(null, Date.now())); // expiry only; it was accepted before
  } catch (error) {
    host.call(() => engine.free());
    throw error;
  }
  return { engine, text: cached.text };
}

async function get(win, url, what) {
  let response;
  try {
    response = await win.fetch(url, {
      method: "GET",
      credentials: "omit",
      referrerPolicy: "no-referrer",
      cache: "no-cache",
      headers: { Accept: "application/json" },
    });
  } catch (error) {
    throw new PersoError("bundle_fetch", `The ${what} could not be fetched from ${url}: ${error.message}`, error);
  }
  if (!response.ok) throw new PersoError("bundle_fetch", `The ${what} could not be fetched from ${url}: HTTP ${response.status}.`);
  return response;
}

/** Fetches the bundle and its detached signature: `{ bytes, text, sig }`. */
export async function fetchBundle(win, config) {
  const [bundleResponse, sigResponse] = await Promise.all([
    get(win, config.bundleUrl, "bundle"),
    get(win, config.signatureUrl, "bundle signature"),
  ]);
  const declared = Number(bundleResponse.headers.get("Content-Length"));
  if (declared > config.maxBundleBytes) {
    throw new PersoError("bundle_too_large", `The bundle is ${declared} bytes; this page accepts at most ${config.maxBundleBytes} (data-max-bundle-bytes).`);
  }
  const bytes = new Uint8Array(await bundleResponse.arrayBuffer());
  if (bytes.length > config.maxBundleBytes) {
    throw new PersoError("bundle_too_large", `The bundle is ${bytes.length} bytes; this page accepts at most ${config.maxBundleBytes} (data-max-bundle-bytes).`);
  }
  let text;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new PersoError("bundle_json", "The bundle is not UTF-8 text.");
  }
  return { bytes, text, sig: await sigResponse.text() };
}

/**
 * Verifies, compiles and freshness-checks a fetched bundle, then caches it.
 * Returns the new engine, or null when it is the bundle already in use.
 */
export async function acceptBundle(fetched, { storage, keys, host, currentText }) {
  if (currentText !== undefined && fetched.text === currentText) return null;
  await verifyBundle(fetched.bytes, fetched.sig, keys);
  const engine = host.compile(fetched.bytes);
  const lastSerial = Number(storage.get(STORAGE_KEYS.serial));
  try {
    host.call(() => engine.checkFreshness(Number.isSafeInteger(lastSerial) && lastSerial > 0 ? lastSerial : null, Date.now()));
  } catch (error) {
    host.call(() => engine.free());
    throw error;
  }
  const serial = host.call(() => engine.serial);
  storage.set(STORAGE_KEYS.serial, String(serial));
  storage.setJSON(STORAGE_KEYS.bundle, { serial, text: fetched.text, sig: fetched.sig });
  return engine;
}
