// Every call from the worker into the engine, and nothing else. The engine is the lean
// wasm package (pkg/, web target) behind the JS host kit (js/src/kit/, the same kit
// the browser runtime uses): bundles are compiled `bundle.bin` bytes, contexts and
// arguments go in through the kit's slot writer, decisions come back as the kit's
// plain objects, the visitor lives in a kit `Visitor` handle and leaves as its compact
// bytes. The rest of the worker treats a loaded bundle as a handle (`{ engine, serial,
// expiresAtMs, hash, generation }`) and a visitor as an opaque handle.
//
// The wasm is instantiated once per isolate from the pre-compiled WebAssembly.Module
// the runtime hands the worker (no bytes compiled at run time, no eval): the only way
// edge runtimes allow. After a trap the instance is replaced (`recoverFromEngineFailure`);
// handles of the old instance are forgotten, never freed into the new one, and a
// request still holding one fails with `engine_replaced` (its page passes through).

import wasmModule from "../../pkg/perso_bg.wasm";
import * as glue from "../../pkg/perso.js";
import { createKit, isEngineTrap, PersoError } from "../../js/src/kit/index.js";

let kit = null;
let memory = null;
let generation = 0;
/** Handles of the live instance, forgotten if it is replaced: engines (weakly) and visitors. */
let engines = [];
let visitors = new Set();

function currentKit() {
  if (!kit) start(glue.initSync({ module: wasmModule }));
  return kit;
}

function start(exports) {
  memory = exports.memory;
  kit = createKit(glue, exports);
}

/** Which instance is live: bundles loaded under an older one must be loaded again. */
export function engineGeneration() {
  return generation;
}

/** Size of the engine's linear memory (it only grows): the bench watches it. */
export function wasmMemoryBytes() {
  return memory ? memory.buffer.byteLength : 0;
}

/** Whether `error` means the instance cannot be trusted (a trap, or an impossible answer). */
export function isTrap(error) {
  return isEngineTrap(error) || (error instanceof PersoError && error.code === "engine_trap");
}

/**
 * After a trap the instance's memory cannot be trusted: start a fresh instance from
 * the same compiled module. Bundles are loaded again on the next request (bundle.js
 * compares generations); the page that failed has already passed through unchanged.
 * Returns whether the instance was replaced (other errors leave it alone).
 */
export function recoverFromEngineFailure(error) {
  if (!isTrap(error)) return false;
  for (const ref of engines) ref.deref()?.abandon();
  for (const visitor of visitors) visitor.abandon();
  engines = [];
  visitors = new Set();
  start(glue.reinstantiate());
  generation += 1;
  return true;
}

/** The real trap the facade offers for hosts' tests of their recovery (never called by the worker). */
export function trapForTests() {
  currentKit();
  glue.debugTrap();
}

function live(handle) {
  if (handle.generation !== generation) {
    throw new PersoError("engine_replaced", "the engine instance was replaced (after a trap) while this request was using it");
  }
  return handle;
}

/**
 * Loads a compiled bundle whose signature is already verified and checks its
 * freshness (serial not below `minSerial`, not expired at `nowMs`). Throws a
 * PersoError whose `code` is the kit's (bundle_format, bundle_invalid, rollback, ...).
 */
export function loadCompiledBundle(bytes, { minSerial, nowMs, hash }) {
  const k = currentKit();
  const engine = k.loadBundle(bytes);
  try {
    engine.checkFreshness(minSerial ?? null, nowMs);
  } catch (error) {
    engine.free();
    throw error;
  }
  engines = engines.filter((ref) => ref.deref() !== undefined);
  engines.push(new WeakRef(engine));
  // The previous bundle's engine is not freed when this one replaces it: a request in
  // flight may still hold it across an await. The glue's finalizer frees it once unreachable.
  return { engine, serial: engine.serial, expiresAtMs: engine.expiresAtMs, hash, generation };
}

/** The engine's URL rule (perso_core::url): may this link or image be rendered? */
export function safeUrl(url) {
  return currentKit().safeUrl(url);
}

/** Whether the bundle has a campaign of this id (the host section's ids). */
export function hasCampaign(bundle, id) {
  return typeof id === "string" && bundle.engine.campaign(id) !== undefined;
}

/** Question ids of the bundle's registration forms (the host section): the form fields to read. */
export function registrationQuestions(bundle) {
  const ids = new Set();
  for (const campaign of bundle.engine.host.campaigns) {
    for (const action of [campaign.action, ...(campaign.variants ?? []).map((v) => v.action)]) {
      if (action?.kind === "register") for (const question of action.questions) ids.add(question.id);
    }
  }
  return [...ids];
}

/** A visitor handle: from stored compact bytes (throws `state_invalid`) or fresh. */
export function openVisitor(bytes, { id, nowMs }) {
  const k = currentKit();
  const visitor = bytes ? k.visitorFromBytes(bytes) : k.freshVisitor(id, nowMs);
  visitor.generation = generation;
  visitors.add(visitor);
  return visitor;
}

/** Frees a visitor handle at the end of a request (one of a replaced instance is already forgotten). */
export function releaseVisitor(visitor) {
  if (!visitor || visitor.generation !== generation || !visitors.delete(visitor)) return;
  visitor.free();
}

/** The compact state within `budget` bytes (the engine drops campaign records to fit), or null. */
export function visitorBytes(visitor, budget) {
  return live(visitor).toBytes(budget);
}

/** `{ page, device, pageView }` for the page facts, by the engine's one page rule (the browser's too). */
export function pageContext(bundle, facts) {
  return live(bundle).engine.pageContext(facts);
}

/** Folds the browser's events (kit/cookies.js readClientEvents) in; returns the new watermark. */
export function applyClientEvents(bundle, visitor, events, ackedMs, nowMs) {
  return live(bundle).engine.applyClientEvents(live(visitor), events, ackedMs, nowMs);
}

/** Counts a page view (`{ referrer_host, utm }`, pageContext()'s `pageView`). */
export function pageView(bundle, visitor, view, nowMs) {
  live(bundle).engine.pageView(live(visitor), view, nowMs);
}

/** The decision (docs/api.md) for `context` (a plain object, written through the kit's slot writer). */
export function decide(bundle, visitor, context, nowMs) {
  return live(bundle).engine.decide(context, live(visitor), nowMs);
}

/** Records an impression for each campaign actually rendered on the page. */
export function recordImpressions(bundle, visitor, campaignIds, nowMs) {
  const { engine } = live(bundle);
  for (const campaign of campaignIds) engine.recordImpression(live(visitor), campaign, nowMs);
}

export function recordDismissal(bundle, visitor, campaignId, nowMs) {
  live(bundle).engine.recordDismissal(live(visitor), campaignId, nowMs);
}

/** Registration answers; the engine keeps those the bundle's questions offer. */
export function registerAnswers(bundle, visitor, answers, nowMs) {
  live(bundle).engine.register(live(visitor), answers, nowMs);
}
