// Every call from the worker into the engine, and nothing else. When the engine's
// WebAssembly facade changes, this is the one file to change: the rest of the worker
// treats a compiled bundle as a handle (`{ engine, serial, expiresAtMs, campaignIds,
// registerOptions }`), the visitor state as an opaque JSON value that it signs into a
// cookie, and the decision as the render plan (docs/api.md).
//
// The engine is instantiated once per isolate from the pre-compiled WebAssembly.Module
// the runtime hands the worker (no bytes compiled at run time, no eval): the only way
// edge runtimes allow.

import wasmModule from "../../pkg/perso_bg.wasm";
import * as perso from "../../pkg/perso.js";

let exports = null;
let generation = 0;

function api() {
  if (!exports) exports = perso.initSync({ module: wasmModule });
  return perso;
}

/** The wasm-bindgen exports as they are: for the test worker's vector replay only. */
export function persoApiForTests() {
  return api();
}

/** Which instance is live: bundles compiled under an older one must be compiled again. */
export function engineGeneration() {
  return generation;
}

/** Size of the engine's linear memory (it only grows): the bench watches it. */
export function wasmMemoryBytes() {
  return exports ? exports.memory.buffer.byteLength : 0;
}

/**
 * After a panic (a WebAssembly.RuntimeError) the instance's memory cannot be trusted:
 * start a fresh instance from the same compiled module. Bundles are compiled again on
 * the next request (bundle.js compares generations); the page that failed has already
 * passed through unchanged. Other errors leave the instance alone.
 */
export function recoverFromEngineFailure(error) {
  if (error instanceof WebAssembly.RuntimeError) {
    exports = perso.reinstantiate();
    generation += 1;
  }
}

/**
 * Compiles a bundle whose signature is already verified and checks its freshness
 * (serial not below `minSerial`, not expired at `nowMs`). Throws an Error whose `code`
 * is the engine's (bundle_invalid, rollback, expired, ...).
 */
export function compileBundle(bundleBytes, { minSerial, nowMs }) {
  let engine;
  try {
    engine = api().Engine.fromBundle(bundleBytes);
    engine.checkFreshness(minSerial ?? undefined, nowMs);
  } catch (error) {
    engine?.free();
    error.code ??= "bundle_invalid";
    throw error;
  }
  // What the worker needs to know of the campaigns outside a decision: which ids the
  // browser may report events for, and the answers a registration form may carry.
  const text = typeof bundleBytes === "string" ? bundleBytes : new TextDecoder().decode(bundleBytes);
  const campaignIds = new Set();
  const registerOptions = new Map(); // question id -> Set of option values
  for (const campaign of JSON.parse(text).campaigns ?? []) {
    campaignIds.add(campaign.id);
    if (campaign.action?.kind !== "register") continue;
    for (const question of campaign.action.questions ?? []) {
      const values = registerOptions.get(question.id) ?? new Set();
      for (const option of question.options ?? []) values.add(option.value);
      registerOptions.set(question.id, values);
    }
  }
  // The previous engine is not freed when this one replaces it: a request in flight may
  // still hold it across an await. The glue's FinalizationRegistry frees it once unreachable.
  return { engine, serial: engine.serial, expiresAtMs: engine.expiresAtMs, campaignIds, registerOptions };
}

/** A new visitor's state. */
export function newVisitorState(visitorId, nowMs) {
  return api().newVisitorState(visitorId, nowMs);
}

/** The state from a verified cookie payload; throws when the engine refuses it (version, bounds). */
export function readVisitorState(payload) {
  return api().parseVisitorState(JSON.stringify(payload));
}

/** Folds one browser event (client-events.js) into the state at `atMs`. */
export function applyBrowserEvent(bundle, state, event, atMs) {
  if (event.t === "dismiss") return bundle.engine.recordDismissal(state, event.c, atMs);
  if (event.t === "click") return bundle.engine.recordClick(state, event.c, atMs);
  if (event.t === "impression") return bundle.engine.recordImpression(state, event.c, atMs);
  return api().register(state, event.interests, atMs);
}

/** Counts this page view and decides: `{ state, decision }`. */
export function pageViewAndDecide(bundle, state, context, pageView, nowMs) {
  const viewed = api().pageView(state, pageView, nowMs);
  return { state: viewed, decision: bundle.engine.decide(context, viewed, nowMs) };
}

/** Records an impression for each campaign actually rendered on the page. */
export function recordImpressions(bundle, state, campaignIds, nowMs) {
  let current = state;
  for (const campaign of campaignIds) current = bundle.engine.recordImpression(current, campaign, nowMs);
  return current;
}

export function recordDismissal(bundle, state, campaignId, nowMs) {
  return bundle.engine.recordDismissal(state, campaignId, nowMs);
}

export function registerInterests(state, interests, nowMs) {
  return api().register(state, interests, nowMs);
}

// The one rule that looks inside the state (its campaign records), kept beside the
// engine calls: when the engine bounds its own serialized state, it goes.
export { shrinkVisitorState } from "./state-shape.js";
