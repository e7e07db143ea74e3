// Loading the decision bundle: from the worker's configuration (PERSO_BUNDLE +
// PERSO_BUNDLE_SIG) or fetched from PERSO_BUNDLE_URL and kept in isolate memory.
// Every bundle is size-checked, signature-checked, then freshness-checked (not below
// the highest serial this isolate accepted nor PERSO_MIN_SERIAL, not expired) before
// it is compiled once.
//
// Stale-while-revalidate: once a fetched bundle is older than its TTL, requests keep
// using it while one refresh runs in the background (ctx.waitUntil); only an isolate
// with no bundle at all waits for a fetch, and that wait is bounded by
// PERSO_BUNDLE_TIMEOUT_MS. A failed load or refresh is remembered for BUNDLE_RETRY_MS,
// so a broken host costs one fetch per that interval, not one per request.

import { fetchBundle, tooLarge } from "./bundle-fetch.js";
import { compileBundle, engineGeneration } from "./engine-calls.js";
import { BundleError } from "./errors.js";
import { BUNDLE_RETRY_MS, MAX_BUNDLE_BYTES } from "./limits.js";
import { logEdge } from "./log.js";
import { parsePublicKeys, verifyBundle } from "./signature.js";

const encoder = new TextEncoder();

let current = null; // { source, bundle, loadedAtMs, generation }
let failure = null; // { source, error, atMs }
let pending = null; // Promise of the load or refresh running now
let lastAcceptedSerial = null;

/**
 * The bundle to decide with now: `{ engine, serial, expiresAtMs, campaignIds,
 * registerOptions }` (engine-calls.js); throws BundleError. `settings` from
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

async function load(env, source, nowMs, settings) {
  const keys = parsePublicKeys(env.PERSO_PUBLIC_KEYS);
  const { bundleBytes, signatureText } = env.PERSO_BUNDLE_URL
    ? await fetchBundle(env.PERSO_BUNDLE_URL, { timeoutMs: settings.bundleTimeoutMs })
    : { bundleBytes: env.PERSO_BUNDLE, signatureText: env.PERSO_BUNDLE_SIG };
  const size = typeof bundleBytes === "string" ? encoder.encode(bundleBytes).length : bundleBytes.byteLength;
  if (size > MAX_BUNDLE_BYTES) throw tooLarge(`${size} bytes`);
  if (typeof signatureText !== "string") throw new BundleError("signature_missing", "PERSO_BUNDLE_SIG is not set");
  await verifyBundle(bundleBytes, signatureText, keys);

  // The rollback floor: the highest serial this isolate accepted, and PERSO_MIN_SERIAL,
  // which carries the floor across isolates and deploys (raise it when publishing).
  const floors = [lastAcceptedSerial, settings.minSerial].filter((serial) => serial !== null);
  let bundle;
  try {
    bundle = compileBundle(bundleBytes, { minSerial: floors.length > 0 ? Math.max(...floors) : null, nowMs });
  } catch (error) {
    throw new BundleError(error.code ?? "bundle_invalid", error.message);
  }
  lastAcceptedSerial = Math.max(lastAcceptedSerial ?? 0, bundle.serial);
  current = { source, bundle, loadedAtMs: nowMs, generation: engineGeneration() };
  return current;
}
