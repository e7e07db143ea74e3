// Getting a bundle the engine may use: the last good one from the device (decides
// before any network), then the network's (a plain GET: no cookies, no referrer, no
// query), verified against the page's public key, loaded, and checked for freshness
// (anti-rollback, expiry) before it replaces the cached one. Bundles that crashed the
// engine on this device are quarantined by hash and never used again.
import { PersoError, verifyBundle, encodeBase64, decodeBase64, LIMITS } from "./kit/index.js";
import { readAllWithin } from "./kit/read-capped.js";
import { STORAGE_KEYS } from "./storage.js";

const hex = (buffer) => [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");

/** SHA-256 of bundle bytes, hex (the quarantine's key). */
export async function bundleHash(bytes) {
  return hex(await globalThis.crypto.subtle.digest("SHA-256", bytes));
}

export function quarantined(storage) {
  const list = storage.getJSON(STORAGE_KEYS.quarantine);
  return Array.isArray(list) ? list.filter((entry) => typeof entry?.hash === "string") : [];
}

/** Remembers that a bundle crashed the engine here (at most 8 are remembered). */
export function quarantine(storage, { hash, serial }) {
  const list = quarantined(storage).filter((entry) => entry.hash !== hash);
  list.push({ hash, serial, at: Date.now() });
  storage.setJSON(STORAGE_KEYS.quarantine, list.slice(-8));
  const cached = storage.getJSON(STORAGE_KEYS.bundle);
  if (cached?.hash === hash) storage.remove(STORAGE_KEYS.bundle);
}

/** The cached bundle `{ bytes, sig, hash }` once its signature is checked; null when none is usable. */
export async function verifyCached(storage, keys) {
  const cached = storage.getJSON(STORAGE_KEYS.bundle);
  if (!cached || typeof cached.bin !== "string" || typeof cached.sig !== "string") return null;
  const bytes = decodeBase64(cached.bin);
  const hash = await bundleHash(bytes);
  if (quarantined(storage).some((entry) => entry.hash === hash)) {
    storage.remove(STORAGE_KEYS.bundle);
    return null;
  }
  await verifyBundle(bytes, cached.sig, keys);
  return { bytes, sig: cached.sig, hash };
}

/** The cached bundle loaded, as `{ engine, hash }`, or null. `verified` is verifyCached's result. */
export function loadCachedBundle(host, verified) {
  if (!verified) return null;
  const engine = host.compile(verified.bytes);
  try {
    host.call(() => engine.checkFreshness(null, Date.now())); // expiry only; it was accepted before
  } catch (error) {
    host.call(() => engine.free());
    throw error;
  }
  return { engine, hash: verified.hash, serial: engine.serial };
}

async function get(win, url, what, timeoutMs) {
  let response;
  try {
    response = await win.fetch(url, {
      method: "GET",
      credentials: "omit",
      referrerPolicy: "no-referrer",
      cache: "no-cache",
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const why = error?.name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : error.message;
    throw new PersoError("bundle_fetch", `The ${what} could not be fetched from ${url}: ${why}.`, error);
  }
  if (!response.ok) throw new PersoError("bundle_fetch", `The ${what} could not be fetched from ${url}: HTTP ${response.status}.`);
  return response;
}

/** Reads a body up to `limit` bytes, stopping (and refusing) as soon as it is over. */
async function readCapped(response, limit, url) {
  const tooLarge = (size) => new PersoError("bundle_too_large", `The bundle at ${url} is ${size} bytes or more; the limit is ${limit} bytes (docs/bundle-format.md, "Limits").`);
  const declared = Number(response.headers.get("Content-Length"));
  if (declared > limit) throw tooLarge(declared);
  if (!response.body) return new Uint8Array(await response.arrayBuffer());
  return readAllWithin(response.body, limit, () => tooLarge(limit + 1));
}

/** Fetches the compiled bundle and its detached signature: `{ bytes, sig }`. */
export async function fetchBundle(win, config) {
  const [bundleResponse, sigResponse] = await Promise.all([
    get(win, config.bundleUrl, "bundle", config.fetchTimeoutMs),
    get(win, config.signatureUrl, "bundle signature", config.fetchTimeoutMs),
  ]);
  const bytes = await readCapped(bundleResponse, Math.min(config.maxBundleBytes, LIMITS.MAX_BUNDLE_BYTES), config.bundleUrl);
  const sig = new TextDecoder().decode(await readCapped(sigResponse, 4096, config.signatureUrl));
  return { bytes, sig };
}

/**
 * Verifies, loads and freshness-checks a fetched bundle, then caches it.
 * Returns `{ engine, hash }`, or null when it is the bundle already in use.
 */
export async function acceptBundle(fetched, { storage, keys, host, currentHash }) {
  const hash = await bundleHash(fetched.bytes);
  if (hash === currentHash) return null;
  if (quarantined(storage).some((entry) => entry.hash === hash)) {
    throw new PersoError("bundle_quarantined", "The published bundle crashed the engine on this device before; it is not used again until a new one is published.");
  }
  await verifyBundle(fetched.bytes, fetched.sig, keys);
  const engine = host.compile(fetched.bytes);
  const lastSerial = Number(storage.get(STORAGE_KEYS.serial));
  try {
    host.call(() => engine.checkFreshness(Number.isSafeInteger(lastSerial) && lastSerial > 0 ? lastSerial : null, Date.now()));
  } catch (error) {
    host.call(() => engine.free());
    throw error;
  }
  const serial = engine.serial;
  storage.set(STORAGE_KEYS.serial, String(serial));
  storage.setJSON(STORAGE_KEYS.bundle, { serial, hash, sig: fetched.sig, bin: encodeBase64(fetched.bytes) });
  return { engine, hash };
}
