// Loading the decision bundle: from the worker's configuration (PERSO_BUNDLE +
// PERSO_BUNDLE_SIG) or fetched from PERSO_BUNDLE_URL and kept in isolate memory.
// Every bundle is signature-checked, then freshness-checked (anti-rollback against
// the highest serial this isolate accepted, expiry) before it is compiled once.
// A failed refresh keeps the last good engine; a failure is remembered for a short
// time so a broken bundle does not cost a fetch per request.

import { logEdge } from "./log.js";
import { instanceGeneration, persoApi } from "./wasm-engine.js";
import { BundleError, parsePublicKeys, verifyBundle } from "./signature.js";

const DEFAULT_TTL_S = 300;
const FAILURE_RETRY_MS = 30_000;
const MAX_BUNDLE_BYTES = 1 << 20;

let current = null; // { source, engine, campaigns, loadedAtMs, generation }
let failure = null; // { source, error, atMs }
let inFlight = null;
let lastAcceptedSerial = null;

/** A loaded bundle: { engine, campaigns: Map<id, campaign source> }; throws BundleError. */
export async function loadBundle(env, nowMs) {
  const url = env.PERSO_BUNDLE_URL;
  const source = url ? `url:${url}` : env.PERSO_BUNDLE;
  if (!source) throw new BundleError("config", "neither PERSO_BUNDLE nor PERSO_BUNDLE_URL is set");
  const ttlMs = (Number(env.PERSO_BUNDLE_TTL_S) || DEFAULT_TTL_S) * 1000;
  // An engine compiled under a trapped (replaced) instance is gone with it.
  if (current && current.generation !== instanceGeneration()) current = null;
  const fresh = current && current.source === source && (!url || nowMs - current.loadedAtMs < ttlMs);
  if (fresh) return usable(current, nowMs);
  if (failure && failure.source === source && nowMs - failure.atMs < FAILURE_RETRY_MS) {
    if (current && current.source === source) return usable(current, nowMs);
    throw failure.error;
  }
  if (!inFlight) {
    inFlight = load(env, source, nowMs).finally(() => {
      inFlight = null;
    });
  }
  try {
    return await inFlight;
  } catch (error) {
    failure = { source, error, atMs: nowMs };
    // Keep serving the last good bundle from the same place when a refresh fails.
    if (current && current.source === source) {
      logEdge("error", error.code ?? "bundle_error", `bundle refresh failed, serial ${current.engine.serial} stays in use: ${error.message}`);
      return usable(current, nowMs);
    }
    throw error;
  }
}

/** The loaded bundle unless it expired while in memory (one error object, logged once). */
function usable(loaded, nowMs) {
  if (nowMs < loaded.engine.expiresAtMs) return loaded;
  loaded.expired ??= new BundleError("expired", `bundle serial ${loaded.engine.serial} expired at ${new Date(loaded.engine.expiresAtMs).toISOString()}`);
  throw loaded.expired;
}

async function load(env, source, nowMs) {
  const keys = parsePublicKeys(env.PERSO_PUBLIC_KEYS);
  const { bundleBytes, signatureText } = env.PERSO_BUNDLE_URL
    ? await fetchBundle(env.PERSO_BUNDLE_URL)
    : { bundleBytes: env.PERSO_BUNDLE, signatureText: env.PERSO_BUNDLE_SIG };
  if (typeof signatureText !== "string") throw new BundleError("signature_missing", "PERSO_BUNDLE_SIG is not set");
  await verifyBundle(bundleBytes, signatureText, keys);

  const perso = persoApi();
  let engine;
  try {
    engine = perso.Engine.fromBundle(bundleBytes);
    engine.checkFreshness(lastAcceptedSerial, nowMs);
  } catch (error) {
    engine?.free();
    throw new BundleError(error.code ?? "bundle_invalid", error.message);
  }
  const campaigns = new Map();
  const text = typeof bundleBytes === "string" ? bundleBytes : new TextDecoder().decode(bundleBytes);
  for (const campaign of JSON.parse(text).campaigns ?? []) campaigns.set(campaign.id, campaign);

  lastAcceptedSerial = Math.max(lastAcceptedSerial ?? 0, engine.serial);
  // The previous engine is not freed here: a request in flight may still hold it
  // across an await. The glue's FinalizationRegistry frees it once unreachable.
  current = { source, engine, campaigns, loadedAtMs: nowMs, generation: instanceGeneration() };
  failure = null;
  return current;
}

async function fetchBundle(url) {
  const [bundleResponse, signatureResponse] = await Promise.all([fetch(url), fetch(`${url}.sig`)]);
  if (!bundleResponse.ok) throw new BundleError("bundle_fetch", `GET bundle: HTTP ${bundleResponse.status}`);
  if (!signatureResponse.ok) throw new BundleError("signature_missing", `GET bundle.sig: HTTP ${signatureResponse.status}`);
  const bundleBytes = new Uint8Array(await bundleResponse.arrayBuffer());
  if (bundleBytes.length > MAX_BUNDLE_BYTES) throw new BundleError("bundle_too_large", `bundle is ${bundleBytes.length} bytes, over ${MAX_BUNDLE_BYTES}`);
  return { bundleBytes, signatureText: await signatureResponse.text() };
}
