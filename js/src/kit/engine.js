// The JS half of the engine boundary, shared by the browser runtime and the edge
// worker (no DOM, no Workers API): loading a compiled bundle, writing a context
// into the engine's slots, reading a decision back as indices and turning it into
// the plain objects of a `Decision` with the bundle's host section, the visitor
// state's transitions, page facts. See src/lib.rs for the wasm side of each call
// and docs/api.md for the contract.
//
// `createKit(glue, exports)` takes the wasm-bindgen glue of pkg/ (web target) and
// the instance's exports (what its `init`/`initSync` returned), once per instance.
import { SlotWriter, pathGetter } from "./slots.js";
import { engineError, PersoError } from "./errors.js";
import { LIMITS } from "./limits.js";

const decoder = new TextDecoder();
const NONE = 0xffffffff;
const HEADER = 24;
const EVENT_KINDS = { impression: 0, dismiss: 1, click: 2, register: 3 };

/** The host section (JSON) of a compiled bundle, without decoding the engine section. */
export function hostSection(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const engineLength = view.getUint32(HEADER, true);
  const at = HEADER + 4 + engineLength;
  const hostLength = view.getUint32(at, true);
  return JSON.parse(decoder.decode(bytes.subarray(at + 4, at + 4 + hostLength)));
}

/** Whether bytes start like a compiled bundle (`PRSO`). */
export const isCompiledBundle = (bytes) =>
  bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x52 && bytes[2] === 0x53 && bytes[3] === 0x4f;

/** Whether the output words of a decision only name what the bundle has (see `#readDecision`). */
function decisionWellFormed(words, host) {
  const campaigns = host.campaigns.length;
  const length = words.length;
  let i = 0;
  if (length < 1) return false;
  const count = words[i++];
  if (count > host.placements.length || 1 + count * 6 > length) return false;
  for (let k = 0; k < count; k++, i += 6) {
    if (words[i] >= host.placements.length || words[i + 1] >= campaigns || words[i + 3] > 2) return false;
    const variants = host.campaigns[words[i + 1]].variants?.length ?? 0;
    if (words[i + 2] !== NONE && words[i + 2] >= variants) return false;
  }
  for (let list = 0; list < 2; list++) {
    if (i >= length) return false;
    const n = words[i++];
    if (i + n > length) return false;
    for (let k = 0; k < n; k++) if (words[i++] >= campaigns) return false;
  }
  if (i + 2 > length || words[i] > 2) return false;
  const picks = words[i + 1];
  if (i + 2 + picks !== length) return false;
  for (let k = i + 2; k < length; k++) if (words[k] >= host.products.length) return false;
  return true;
}

export function createKit(glue, exports) {
  const memory = exports.memory;
  let cached = null;
  const bytesView = () => {
    if (!cached || cached.buffer !== memory.buffer) cached = new Uint8Array(memory.buffer);
    return cached;
  };
  const lastError = () => Array.from(glue.lastError());
  const writer = new SlotWriter();

  /** Copies what `writer` holds into the engine's input buffer; returns its length. */
  function send(handle) {
    const bytes = writer.written;
    const ptr = handle.input(bytes.length);
    bytesView().set(bytes, ptr);
    return bytes.length;
  }

  class Visitor {
    constructor(handle) {
      this.handle = handle;
    }

    /** The compact stored form within `budget` bytes (records trimmed by the engine's rule), or null. */
    toBytes(budget = 4096) {
      const bytes = this.handle.toBytes(budget);
      return bytes ?? null;
    }

    get sessionStartMs() {
      return this.handle.sessionStartMs;
    }

    touch(nowMs) {
      this.handle.touch(nowMs);
    }

    free() {
      this.handle.free();
    }

    /**
     * Forgets the handle of an instance that was replaced after a trap
     * (`reinstantiate`): it must not be freed, nor finalized later, into the new
     * instance's memory, where its pointer means nothing.
     */
    abandon() {
      this.handle.__destroy_into_raw?.();
    }
  }

  class Engine {
    constructor(handle, host) {
      this.handle = handle;
      this.host = host;
      this.slots = host.slots;
      this.getters = host.slots.map(pathGetter);
      this.campaignIndex = new Map(host.campaigns.map((c, i) => [c.id, i]));
      // What each (campaign, variant) shows when nothing is computed: built once, shared.
      this.shown = host.campaigns.map((campaign) => {
        const make = (variant, action) => {
          const placed = { placement: host.placements[campaign.placement], campaign: campaign.id };
          if (variant !== null) placed.variant = variant;
          placed.interruption = campaign.interruption;
          placed.trigger = campaign.trigger;
          placed.action = action;
          placed.why = host.whys[campaign.why];
          return placed;
        };
        const computed = campaign.action.kind === "recommend" || campaign.action.kind === "welcome";
        return {
          base: computed ? null : Object.freeze(make(null, campaign.action)),
          variants: (campaign.variants ?? []).map((v) => {
            const action = v.action ?? campaign.action;
            const isComputed = action.kind === "recommend" || action.kind === "welcome";
            return { id: v.id, action, placed: isComputed ? null : Object.freeze(make(v.id, action)), make };
          }),
          make,
        };
      });
    }

    get serial() {
      return this.host.serial;
    }

    get expiresAtMs() {
      return this.host.expires_at_ms;
    }

    /** Every context path the bundle reads (slots and derived facts), sorted. */
    references() {
      return this.host.references;
    }

    timeOnSiteThresholds() {
      return this.host.time_on_site_thresholds;
    }

    /** Throws `rollback` or `expired` when the bundle must not be used. */
    checkFreshness(lastAcceptedSerial, nowMs) {
      const last = Number.isSafeInteger(lastAcceptedSerial) && lastAcceptedSerial >= 0 ? lastAcceptedSerial : -1;
      if (this.handle.checkFreshness(last, Number.isFinite(nowMs) ? nowMs : NaN) !== 0) {
        throw engineError(lastError());
      }
    }

    campaign(id) {
      return this.campaignIndex.get(id);
    }

    /**
     * What a host needs to know of a campaign it did not show (a holdout):
     * `{ campaign, placement, kind, interruption, trigger }`, or undefined.
     */
    campaignInfo(id) {
      const index = this.campaignIndex.get(id);
      if (index === undefined) return undefined;
      const c = this.host.campaigns[index];
      return { campaign: c.id, placement: this.host.placements[c.placement], kind: c.action.kind, interruption: c.interruption, trigger: c.trigger };
    }

    /**
     * A preview link's QA view: every later decide() shows campaign `campaignId` in its
     * placement whatever its segments, condition, schedule, caps or the guardrails say
     * (consent still applies), with variant `variantId` of its experiment (null: the
     * visitor's own). Returns false, forcing nothing, when the bundle has no such
     * campaign or variant. `force(null)` stops forcing.
     */
    force(campaignId, variantId = null) {
      const index = campaignId === null ? undefined : this.campaignIndex.get(campaignId);
      const variants = index === undefined ? [] : this.host.campaigns[index].variants ?? [];
      const variant = variantId === null ? NONE : variants.findIndex((v) => v.id === variantId);
      const known = index !== undefined && variant !== -1;
      this.handle.force(known ? index : NONE, known ? variant : NONE);
      return known;
    }

    #writeContext(context) {
      writer.reset();
      const getters = this.getters;
      for (let i = 0; i < getters.length; i++) writer.value(getters[i](context));
      return send(this.handle);
    }

    /** The decision for `context` (a plain object) and `visitor` at `nowMs`. */
    decide(context, visitor, nowMs) {
      const len = this.#writeContext(context);
      const count = this.handle.decide(visitor.handle, len, nowMs);
      if (count < 0) throw engineError(lastError(), { slots: this.slots });
      return this.#readDecision();
    }

    #readDecision() {
      const handle = this.handle;
      const words = new Uint32Array(memory.buffer, handle.outputWords(), handle.outputLength());
      const host = this.host;
      if (!decisionWellFormed(words, host)) {
        // Indices the bundle does not have: the engine's memory is not to be trusted.
        throw new PersoError("engine_trap", "The perso engine returned an impossible decision; its memory is corrupt.");
      }
      let i = 0;
      const count = words[i++];
      const winnersAt = i;
      i += count * 6;
      const holdoutCount = words[i++];
      const holdouts = [];
      for (let k = 0; k < holdoutCount; k++) holdouts.push(host.campaigns[words[i++]].id);
      const overCount = words[i++];
      const overBudget = [];
      for (let k = 0; k < overCount; k++) overBudget.push(host.campaigns[words[i++]].id);
      const global = words[i++];
      const picksAt = i + 1;
      const placements = new Array(count);
      for (let k = 0, at = winnersAt; k < count; k++, at += 6) {
        const campaign = words[at + 1];
        const variant = words[at + 2];
        const kind = words[at + 3];
        const shown = this.shown[campaign];
        const chosen = variant === NONE ? null : shown.variants[variant];
        if (kind === 0) {
          placements[k] = chosen ? chosen.placed : shown.base;
          continue;
        }
        const source = chosen ? chosen.action : host.campaigns[campaign].action;
        const start = words[at + 4];
        const length = words[at + 5];
        let action;
        if (kind === 1) {
          const items = new Array(length);
          for (let p = 0; p < length; p++) items[p] = host.products[words[picksAt + start + p]];
          action = { kind: "recommend", title: source.title, items };
        } else {
          const text = bytesView().subarray(handle.outputText() + start, handle.outputText() + start + length);
          action = { kind: "welcome", text: decoder.decode(text) };
        }
        placements[k] = shown.make(chosen ? chosen.id : null, action);
      }
      const decision = { serial: host.serial, placements };
      if (holdouts.length > 0) decision.holdouts = holdouts;
      const recheck = handle.recheckAtMs();
      if (!Number.isNaN(recheck)) decision.recheck_at_ms = recheck;
      if (global !== 0) decision.global_holdout = global === 1 ? "holdout" : "personalized";
      if (overBudget.length > 0) decision.over_budget = overBudget;
      return decision;
    }

    /** The checkout's re-check: is this shopper entitled to the offer of `campaignId`? */
    checkOffer(campaignId, context, visitor, nowMs) {
      const index = this.campaignIndex.get(campaignId);
      if (index === undefined) return false;
      const len = this.#writeContext(context);
      const result = this.handle.checkOffer(index, visitor.handle, len, nowMs);
      if (result < 0) throw engineError(lastError(), { slots: this.slots });
      return result === 1;
    }

    /**
     * `page.*`, `device.*` and the page view for a page, from what the host knows:
     * `{ url, referrer, declaredType, mobileHint, userAgent, coarsePointer,
     * screenShortSide, language }` (strings, booleans, numbers; each optional but
     * `url`). The rules are the engine's (perso_core::page); this only splits URLs
     * with the platform's WHATWG parser.
     */
    pageContext(facts) {
      const url = new URL(facts.url);
      let referrer = null;
      if (typeof facts.referrer === "string" && facts.referrer !== "") {
        try {
          referrer = new URL(facts.referrer);
        } catch {
          referrer = null;
        }
      }
      writer.reset();
      for (const v of [url.protocol, url.hostname, url.origin, url.pathname, url.search]) writer.value(v);
      if (referrer) for (const v of [referrer.protocol, referrer.hostname, referrer.origin, referrer.pathname]) writer.value(v);
      else for (let k = 0; k < 4; k++) writer.value(null);
      for (const v of [facts.declaredType, facts.mobileHint, facts.userAgent, facts.coarsePointer, facts.screenShortSide, facts.language]) {
        writer.value(v ?? null);
      }
      const len = this.handle.pageContext(send(this.handle));
      if (len < 0) throw engineError(lastError());
      const bytes = bytesView();
      const view = new DataView(memory.buffer);
      let at = this.handle.resultBytes();
      const fields = [];
      for (let k = 0; k < 12; k++) {
        const n = view.getUint32(at, true);
        at += 4;
        if (n === NONE) fields.push(null);
        else {
          fields.push(decoder.decode(bytes.subarray(at, at + n)));
          at += n;
        }
      }
      const [pageUrl, path, type, referrerText, referrerHost, source, medium, campaign, term, content, deviceType, language] = fields;
      const utm = {};
      for (const [key, value] of [["source", source], ["medium", medium], ["campaign", campaign], ["term", term], ["content", content]]) {
        if (value !== null) utm[key] = value;
      }
      const page = { url: pageUrl, path, type };
      if (referrerText !== null) page.referrer = referrerText;
      if (referrerHost !== null) page.referrer_host = referrerHost;
      page.utm = utm;
      const device = {};
      if (deviceType !== null) device.type = deviceType;
      if (language !== null) device.language = language;
      const pageView = { utm };
      if (referrerHost !== null) pageView.referrer_host = referrerHost;
      return { page, device, pageView };
    }

    /** Counts a page view (`{ referrer_host, utm }`, e.g. pageContext()'s `pageView`). */
    pageView(visitor, page, nowMs) {
      const utm = page?.utm ?? {};
      writer.reset();
      for (const v of [page?.referrer_host, utm.source, utm.medium, utm.campaign, utm.term, utm.content]) writer.value(v ?? null);
      this.handle.pageView(visitor.handle, send(this.handle), nowMs);
    }

    recordImpression(visitor, campaignId, nowMs) {
      const index = this.campaignIndex.get(campaignId);
      if (index !== undefined) this.handle.recordImpression(visitor.handle, index, nowMs);
    }

    recordDismissal(visitor, campaignId, nowMs) {
      const index = this.campaignIndex.get(campaignId);
      if (index !== undefined) this.handle.recordDismissal(visitor.handle, index, nowMs);
    }

    recordClick(visitor, campaignId, nowMs) {
      const index = this.campaignIndex.get(campaignId);
      if (index !== undefined) this.handle.recordClick(visitor.handle, index, nowMs);
    }

    /** Registration answers; the engine keeps only those the bundle's questions offer. */
    register(visitor, answers, nowMs) {
      writer.reset();
      for (const answer of Array.isArray(answers) ? answers : []) if (typeof answer === "string") writer.value(answer);
      this.handle.register(visitor.handle, send(this.handle), nowMs);
    }

    /**
     * Applies events the browser reported (`{ t, c, at, interests }`, docs/edge-deploy.md
     * §1.3) newer than `ackedMs`, times clamped by the engine to `now`; returns the
     * new watermark.
     */
    applyClientEvents(visitor, events, ackedMs, nowMs) {
      writer.reset();
      for (const event of events) {
        const kind = EVENT_KINDS[event?.t];
        if (kind === undefined || !Number.isFinite(event.at)) continue;
        if (kind === 3) {
          writer.value(kind).value(event.at).value(Array.isArray(event.interests) ? event.interests : []);
        } else {
          const index = this.campaignIndex.get(event.c);
          if (index === undefined) continue;
          writer.value(kind).value(event.at).value(index);
        }
      }
      const watermark = this.handle.applyClientEvents(visitor.handle, send(this.handle), ackedMs, nowMs);
      if (Number.isNaN(watermark)) throw new PersoError("context_invalid", "The browser's events could not be passed to the engine.");
      return watermark;
    }

    free() {
      this.handle.free();
    }

    /** See `Visitor.abandon`. */
    abandon() {
      this.handle.__destroy_into_raw?.();
    }
  }

  return {
    /**
     * Loads a compiled bundle (bytes); throws a PersoError naming what is wrong.
     * `maxBytes` (default the product limit) is for benchmarks of oversized workloads.
     */
    loadBundle(bytes, { maxBytes = LIMITS.MAX_BUNDLE_BYTES } = {}) {
      const data = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
      if (data.length > maxBytes) {
        throw new PersoError("bundle_too_large", `The bundle is ${data.length} bytes, over the limit of ${maxBytes} bytes.`);
      }
      const handle = glue.Engine.load(data);
      if (!handle) throw engineError(lastError());
      let host;
      try {
        host = hostSection(data);
      } catch (error) {
        handle.free();
        throw new PersoError("bundle_invalid", `The bundle's host section is not readable: ${error.message}`, error);
      }
      return new Engine(handle, host);
    },

    freshVisitor(id, nowMs) {
      return new Visitor(glue.Visitor.fresh(String(id ?? ""), nowMs));
    },

    /** A stored visitor state (compact bytes); throws `state_invalid` when unusable. */
    visitorFromBytes(bytes) {
      const handle = glue.Visitor.fromBytes(bytes);
      if (!handle) throw engineError(lastError());
      return new Visitor(handle);
    },

    /** The engine's URL rule (perso_core::url): may this link or image be rendered? */
    safeUrl(url) {
      return typeof url === "string" && glue.safeUrl(url);
    },

    limit(name) {
      return glue.limit(name);
    },
  };
}
