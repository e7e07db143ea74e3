// Loading the decision bundle — the compiled form `perso publish` writes (bundle.bin,
// magic PRSO) and its detached signature (bundle.bin.sig) — from the worker's
// configuration (PERSO_BUNDLE + PERSO_BUNDLE_SIG) or fetched from PERSO_BUNDLE_URL, and
// kept in isolate memory. Every bundle is size-checked, refused if it is the JSON
// source, signature-checked (the kit's verifyBundle, as in the browser), then loaded
// and freshness-checked by the engine (not below the highest serial this isolate
// accepted nor PERSO_MIN_SERIAL, not expired) once.
//
// Stale-while-revalidate: once a fetched bundle is older than its TTL, requests keep
// using it while one refresh runs in the background (ctx.waitUntil); only an isolate
// with no bundle at all waits for a fetch, and that wait is bounded by
// PERSO_BUNDLE_TIMEOUT_MS. A failed load or refresh is remembered for BUNDLE_RETRY_MS,
// so a broken host costs one fetch per that interval, not one per request.
//
// Quarantine: a bundle under which the engine trapped QUARANTINE_AFTER_TRAPS times in
// this isolate is not used again (by its SHA-256) until another bundle is published:
// pages pass through instead of trapping, replacing the instance and loading it again
// on every request.

import { decodeBase64, isCompiledBundle, parseKeys, verifyBundle } from "../../js/src/kit/index.js";
import { fetchBundle, tooLarge } from "./bundle-fetch.js";
import { engineGeneration, loadCompiledBundle } from "./engine-calls.js";
import { BundleError } from "./errors.js";
import { BUNDLE_RETRY_MS, MAX_BUNDLE_BYTES, QUARANTINE_AFTER_TRAPS } from "./limits.js";
import { logEdge } from "./log.js";

let current = null; // { source, bundle, loadedAtMs, generation }
let failure = null; // { source, error, atMs }
let pending = null; // Promise of the load or refresh running now
let lastAcceptedSerial = null;
const traps = new Map(); // bundle hash -> traps under it in this isolate
const quarantined = new Map(); // bundle hash -> serial

/**
 * The bundle to decide with now: `{ engine, serial, expiresAtMs, hash, generation }`
 * (engine-calls.js); throws BundleError. `settings` from
 * workerConfig(env); `ctx` the request's ExecutionContext (for the background refresh).
 */
export async function loadBundle(env, nowMs, { settings, ctx }) {
  const url = env.PERSO_BUNDLE_URL;
  const source = url ? `url:${url}` : env.PERSO_BUNDLE;
  if (!source) throw new BundleError("config", "neither PERSO_BUNDLE nor PERSO_BUNDLE_URL is set");
  // A bundle compiled under a trapped (replaced) engine instance is gone with it.
  if (current && (current.source !== source || current.generation !== engineGeneration())) current = null;
  const recentFailure = failure && failure.source === source && nowMs - failure.atMs < BUNDLE_RETRY_MS;

  if (current) {
    const stale = url && nowMs - current.loadedAtMs >= settings.bundleTtlMs;
    if (stale && !pending && !recentFailure) {
      const serial = current.bundle.serial;
      const refresh = start(env, source, nowMs, settings).catch((error) => {
        logEdge("error", error.code ?? "bundle_error", `bundle refresh failed, serial ${serial} stays in use: ${error.message}`);
      });
      ctx?.waitUntil?.(refresh);
    }
    return usable(current, nowMs);
  }
  if (recentFailure) throw failure.error;
  return pending ?? start(env, source, nowMs, settings);
}

/** Resolves once no load or refresh is running (tests wait on it instead of on time). */
export async function bundleSettled() {
  while (pending) await pending.catch(() => {});
}

function start(env, source, nowMs, settings) {
  const run = load(env, source, nowMs, settings).then(
    (loaded) => {
      failure = null;
      return loaded.bundle;
    },
    (error) => {
      failure = { source, error, atMs: nowMs };
      throw error;
    },
  );
  pending = run;
  run.catch(() => {}).finally(() => {
    if (pending === run) pending = null;
  });
  return run;
}

/** The loaded bundle unless it expired while in memory (one error object, logged once). */
function usable(loaded, nowMs) {
  if (nowMs < loaded.bundle.expiresAtMs) return loaded.bundle;
  loaded.expired ??= new BundleError("expired", `bundle serial ${loaded.bundle.serial} expired at ${new Date(loaded.bundle.expiresAtMs).toISOString()}`);
  throw loaded.expired;
}

/**
 * The engine trapped while a request used `bundle` (the instance is already replaced):
 * after QUARANTINE_AFTER_TRAPS such traps the bundle is quarantined in this isolate.
 * Returns whether it is now quarantined.
 */
export function noteEngineTrap(bundle) {
  if (!bundle?.hash) return false;
  const count = (traps.get(bundle.hash) ?? 0) + 1;
  traps.set(bundle.hash, count);
  if (count < QUARANTINE_AFTER_TRAPS) return false;
  quarantined.set(bundle.hash, bundle.serial);
  if (current?.bundle.hash === bundle.hash) current = null;
  failure = null;
  return true;
}

/** PERSO_BUNDLE as bytes: base64 text of bundle.bin, or its bytes (a Data module, a binary binding). */
function inlineBundle(value) {
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value !== "string") throw new BundleError("config", "PERSO_BUNDLE must be the compiled bundle (bundle.bin) in base64, or its bytes");
  const text = value.trim();
  if (text.startsWith("{")) throw jsonBundle("PERSO_BUNDLE");
  // Refused before it is decoded: the size base64 of that length decodes to.
  const size = Math.floor((text.length * 3) / 4) - (text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0);
  if (size > MAX_BUNDLE_BYTES) throw tooLarge(`${size} bytes`);
  try {
    return decodeBase64(text.replace(/\s+/g, ""));
  } catch {
    throw new BundleError("config", "PERSO_BUNDLE is not base64: give bundle.bin in base64 (base64 -w0 bundle.bin), or its bytes");
  }
}

function jsonBundle(where) {
  return new BundleError(
    "bundle_format",
    `${where} is a JSON bundle (the source): compile it with \`perso publish\` and give the compiled bundle.bin with bundle.bin.sig (docs/edge-deploy.md §2)`,
  );
}

/** Whether bytes look like JSON text (what a bundle.json starts with), not a compiled bundle. */
const looksLikeJson = (bytes) => {
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09 || bytes[i] === 0xef || bytes[i] === 0xbb || bytes[i] === 0xbf)) i++;
  return bytes[i] === 0x7b;
};

async function sha256(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function load(env, source, nowMs, settings) {
  let keys;
  try {
    keys = parseKeys(env.PERSO_PUBLIC_KEYS, { name: "PERSO_PUBLIC_KEYS" });
  } catch (error) {
    throw new BundleError("config", error.message);
  }
  const url = env.PERSO_BUNDLE_URL;
  const { bundleBytes, signatureText } = url
    ? await fetchBundle(url, { timeoutMs: settings.bundleTimeoutMs })
    : { bundleBytes: inlineBundle(env.PERSO_BUNDLE), signatureText: env.PERSO_BUNDLE_SIG };
  if (bundleBytes.byteLength > MAX_BUNDLE_BYTES) throw tooLarge(`${bundleBytes.byteLength} bytes`);
  if (!isCompiledBundle(bundleBytes) && looksLikeJson(bundleBytes)) throw jsonBundle(url ? `the bundle at ${url}` : "PERSO_BUNDLE");
  if (typeof signatureText !== "string") throw new BundleError("signature_missing", "PERSO_BUNDLE_SIG is not set");
  try {
    await verifyBundle(bundleBytes, signatureText, keys);
  } catch (error) {
    throw new BundleError(error.code ?? "signature_invalid", error.message);
  }
  const hash = await sha256(bundleBytes);
  if (quarantined.has(hash)) {
    throw new BundleError("bundle_quarantined", `bundle serial ${quarantined.get(hash)} made the engine trap ${QUARANTINE_AFTER_TRAPS} times: not used again until another bundle is published`);
  }

  // The rollback floor: the highest serial this isolate accepted, and PERSO_MIN_SERIAL,
  // which carries the floor across isolates and deploys (raise it when publishing).
  const floors = [lastAcceptedSerial, settings.minSerial].filter((serial) => serial !== null);
  let bundle;
  try {
    bundle = loadCompiledBundle(bundleBytes, { minSerial: floors.length > 0 ? Math.max(...floors) : null, nowMs, hash });
  } catch (error) {
    throw new BundleError(error.code ?? "bundle_invalid", error.message);
  }
  lastAcceptedSerial = Math.max(lastAcceptedSerial ?? 0, bundle.serial);
  current = { source, bundle, loadedAtMs: nowMs, generation: engineGeneration() };
  return current;
}
