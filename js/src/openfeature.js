// perso as an OpenFeature web provider (`perso/openfeature`): code written against
// `@openfeature/web-sdk` reads a placement's decision as a flag whose key is the
// placement id.
//
//   import { OpenFeature } from "@openfeature/web-sdk";
//   import { PersoProvider } from "perso/openfeature";
//   await OpenFeature.setProviderAndWait(new PersoProvider({ start: { bundle, key } }));
//   const hero = OpenFeature.getClient().getObjectDetails("hero", {});
//   // hero.value: the action ({ kind: "banner", title, ... }); hero.variant: "aff-hero"
//   // (or "campaign/variant" in an experiment); hero.reason: TARGETING_MATCH / SPLIT / DEFAULT
//
// Values by flag type: object: the action; boolean: whether the placement shows
// something; string: the campaign id (the variant name, as above); number: a type
// mismatch. With nothing decided for the placement the caller's default comes back
// (boolean: false) with reason DEFAULT. `flagMetadata` carries campaign, variant,
// placement, kind, interruption and serial. Ids only: no segment name or rule.
//
// Two sources of decisions:
// - in the page (default): the browser runtime, which collects the context itself
//   (`perso` given, or the page's `window.perso`, or start(`start` options)); the
//   provider emits ConfigurationChanged whenever perso decides again. The
//   OpenFeature evaluation context is not used: perso never takes visitor data from
//   the application's flag context.
// - an engine (`{ engine, visitor, now }`, from the host kit): the evaluation context
//   is perso's context (page, cart, customer, ...), decided on every context change:
//   for Node, server rendering and tests.
import { OpenFeatureEventEmitter, ProviderEvents } from "@openfeature/web-sdk";

const REASON = Object.freeze({ match: "TARGETING_MATCH", split: "SPLIT", none: "DEFAULT", error: "ERROR" });

export class PersoProvider {
  /**
   * `options`: `{ perso }` (a started runtime's API), or `{ start }` (start()'s
   * options; used when the page has no perso yet), or `{ engine, visitor, now }`.
   */
  constructor(options = {}) {
    this.metadata = Object.freeze({ name: "perso" });
    this.runsOn = "client";
    this.hooks = [];
    this.events = new OpenFeatureEventEmitter();
    this.options = options;
    this.decisionNow = null;
    this.stop = null;
  }

  async initialize(context = {}) {
    const { engine } = this.options;
    if (engine) {
      this.#decide(context);
      return;
    }
    const page = globalThis.perso && !Array.isArray(globalThis.perso) ? globalThis.perso : null;
    const api = this.options.perso ?? page ?? (await import("./perso.js").then(({ start }) => start(this.options.start ?? {})));
    this.api = api;
    const onDecision = () => {
      const before = this.decisionNow;
      this.decisionNow = api.decision();
      const flagsChanged = changedPlacements(before, this.decisionNow);
      if (flagsChanged.length > 0) this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged });
    };
    this.decisionNow = api.decision();
    document.addEventListener("perso:decision", onDecision);
    this.stop = () => document.removeEventListener("perso:decision", onDecision);
  }

  onContextChange(_oldContext, newContext) {
    if (this.options.engine) this.#decide(newContext);
  }

  async onClose() {
    this.stop?.();
  }

  #decide(context) {
    const { engine, visitor, now = Date.now } = this.options;
    const { targetingKey: _unused, ...persoContext } = context ?? {};
    this.decisionNow = engine.decide(persoContext, visitor, now());
  }

  #placed(flagKey) {
    return this.decisionNow?.placements.find((placed) => placed.placement === flagKey) ?? null;
  }

  #details(flagKey, defaultValue, valueOf) {
    const placed = this.#placed(flagKey);
    if (!placed) {
      const known = this.options.engine?.host?.placements;
      if (Array.isArray(known) && !known.includes(flagKey)) {
        return { value: defaultValue, reason: REASON.error, errorCode: "FLAG_NOT_FOUND", errorMessage: `No placement "${flagKey}" in the bundle.` };
      }
      return { value: valueOf(null, defaultValue), reason: REASON.none };
    }
    return {
      value: valueOf(placed, defaultValue),
      variant: placed.variant ? `${placed.campaign}/${placed.variant}` : placed.campaign,
      reason: placed.variant ? REASON.split : REASON.match,
      flagMetadata: metadataOf(placed, this.decisionNow),
    };
  }

  resolveBooleanEvaluation(flagKey, defaultValue) {
    return this.#details(flagKey, defaultValue, (placed) => placed !== null);
  }

  resolveStringEvaluation(flagKey, defaultValue) {
    return this.#details(flagKey, defaultValue, (placed, fallback) => (placed ? placed.campaign : fallback));
  }

  resolveNumberEvaluation(flagKey, defaultValue) {
    return { value: defaultValue, reason: REASON.error, errorCode: "TYPE_MISMATCH", errorMessage: `perso placements are objects, booleans or strings; "${flagKey}" has no number value.` };
  }

  resolveObjectEvaluation(flagKey, defaultValue) {
    return this.#details(flagKey, defaultValue, (placed, fallback) => (placed ? placed.action : fallback));
  }
}

function metadataOf(placed, decision) {
  const metadata = {
    campaign: placed.campaign,
    placement: placed.placement,
    kind: placed.action?.kind ?? "",
    interruption: Boolean(placed.interruption),
    serial: decision?.serial ?? 0,
  };
  if (placed.variant) metadata.variant = placed.variant;
  return metadata;
}

/** Placements whose campaign, variant or action changed between two decisions. */
function changedPlacements(before, after) {
  const key = (placed) => (placed ? `${placed.campaign}|${placed.variant ?? ""}|${JSON.stringify(placed.action)}` : "");
  const map = (decision) => new Map((decision?.placements ?? []).map((placed) => [placed.placement, key(placed)]));
  const a = map(before);
  const b = map(after);
  return [...new Set([...a.keys(), ...b.keys()])].filter((placement) => a.get(placement) !== b.get(placement));
}
