// The browser runtime: one instance per page, orchestrating the parts that each do
// one job — EngineHost (the wasm and its traps), the bundle loader (cache, network,
// signature, freshness, quarantine), VisitorStore (the visitor's state on the
// device), context.js (what the page knows), Placements (slots and pop-ups on the
// page), triggers.js (when to show). Everything it reads stays on the device; the
// only requests it makes are the engine's files and the bundle and signature GETs.
import { PersoError } from "./kit/index.js";
import { EngineHost } from "./engine-host.js";
import { DeviceStorage, STORAGE_KEYS } from "./storage.js";
import { loadCachedBundle, verifyCached, fetchBundle, acceptBundle, quarantine } from "./bundle-loader.js";
import { collectContext, customerFromPage, pickCustomer, globalPrivacyControl, pageFacts } from "./context.js";
import { observeDataLayer, applyCartEvent, cartLineFromGa4 } from "./datalayer.js";
import { VisitorStore } from "./visitor-store.js";
import { Placements } from "./placements.js";
import { edgeSerial, readEdgeState, reportToEdge, shareCart } from "./edge-handoff.js";
import { watchNavigation } from "./navigation.js";
import { observeSlots } from "./slot-observer.js";
import { Claims } from "./claims.js";

export class Runtime {
  /** `config`: see `start()` in perso.js; `config.engineModule` is the wasm's compile promise. */
  constructor(win, config) {
    this.win = win;
    this.doc = win.document;
    this.config = config;
    this.host = new EngineHost(config.engineModule);
    this.reportedCodes = new Set();
    // A preview link's document (preview.js): nothing is written to the device, the
    // edge's renderings and hand-off are not adopted, events say `preview: true`.
    this.previewing = Boolean(config.previewing);
    this.preview = null; // the Preview, once its module has loaded
    this.consentState = {
      gpc: globalPrivacyControl(win),
      // "required": nothing is stored and nothing consent-gated is shown until granted.
      personalization: config.consent !== "required",
    };
    if (this.consentState.gpc) this.consentState.personalization = false;
    this.storage = new DeviceStorage({
      persistent: this.#mayPersist(),
      erase: this.consentState.gpc,
      readOnly: this.previewing,
      onUnavailable: (error) => this.#fail(new PersoError("storage_unavailable",
        `localStorage is unavailable (${error?.name ?? "error"}); perso keeps this visit's state in memory and decides from the page alone.`, error)),
    });
    this.visitors = new VisitorStore(this.storage);
    this.cart = sanitizeCart(this.storage.getJSON(STORAGE_KEYS.cart));
    this.cartSynced = false; // a first setCart on this page is the cart as it is, not an add
    this.customer = customerFromPage(this.doc);
    this.custom = {};
    this.ready = false;
    this.bundleHash = null;
    this.page = null; // the engine's page context for the current URL
    this.lastDecision = null;
    this.lastContext = null;
    this.thresholdTimers = [];
    this.firstDecisionDone = false;
    // Set when perso's edge worker personalized this page (docs/edge-deploy.md §1).
    this.edge = edgeSerial(this.doc) !== null && !this.previewing ? { ackedMs: 0 } : null;
    // Exposure events into the store's analytics (exposure.js, loaded only when asked
    // for, while the engine compiles): opt-in, never in a preview.
    this.exposure = null;
    this.analyticsDenied = false; // Google Consent Mode's analytics_storage "denied"
    this.exposureModule = config.exposure && !this.previewing ? import("./exposure.js") : null;
    this.exposureModule?.catch(() => {});
    // The claim click's request (docs/offers.md): only with a claim endpoint configured,
    // and never in a preview (a draft's offer must not mint a real code).
    this.claims = new Claims(win, { claimUrl: this.previewing ? null : config.claimUrl, mayPersist: () => this.#mayPersist() });
    this.placements = new Placements(win, {
      config,
      edge: Boolean(this.edge),
      onImpression: (placed) => this.#impression(placed),
      onDismiss: (placed) => this.#dismiss(placed),
      onClick: (placed) => this.#click(placed),
      onAdopted: (placed) => this.#adopted(placed),
      onHeldOut: (info) => this.exposure?.heldOut(info.campaign),
      onRegister: (placed, answers) => this.#register(placed, answers),
      onClaim: this.claims.available ? (placed) => this.#claim(placed) : null,
      onChat: (detail) => this.#emit("perso:chat", detail),
      emit: (type, detail) => this.#emit(type, detail),
      isBroken: () => Boolean(this.host.broken),
      deviceType: () => this.page?.device?.type ?? "desktop",
      safeUrl: (url) => Boolean(this.host.kit?.safeUrl(url)),
    });
  }

  // ----- public API (window.perso and the object start() resolves to) -----

  setCart(items) {
    const lines = Array.isArray(items) ? items.map((item) => (item && "item_id" in item ? cartLineFromGa4(item) : normalizeLine(item))) : [];
    // The page's first setCart tells perso the cart as it is (a platform adapter reading
    // its cart on load), not that the shopper just added something.
    const added = this.cartSynced && totalQty(lines.filter(Boolean)) > totalQty(this.cart);
    this.cartSynced = true;
    this.cart = sanitizeCart(lines.filter(Boolean));
    this.#cartChanged(added);
  }

  setCustomer(profile) {
    this.customer = profile ? pickCustomer(profile) : null;
    this.redecide();
  }

  /** Grants or withdraws consent to personalization storage. */
  consent(granted) {
    const personalization = Boolean(granted) && !this.consentState.gpc;
    if (personalization === this.consentState.personalization) return;
    this.consentState.personalization = personalization;
    const won = this.storage.setPersistent(this.#mayPersist(), { storedWins: [STORAGE_KEYS.visitor] });
    if (personalization) {
      if (won.includes(STORAGE_KEYS.visitor) && this.host.kit && !this.host.broken) {
        // A returning visitor granted consent on this page: their stored state (visits,
        // caps, interests) continues, with this page view counted in it.
        try {
          this.visitors.load(this.host.kit, { randomId: () => randomId(this.win), nowMs: Date.now() });
          if (this.page) this.host.call((e) => e.pageView(this.visitors.visitor, this.page.pageView, Date.now()));
        } catch (error) {
          this.#fail(error);
        }
      }
      this.visitors.flush();
      this.storage.setJSON(STORAGE_KEYS.cart, this.cart);
    }
    this.redecide();
  }

  setCustom(values) {
    this.custom = values && typeof values === "object" ? { ...values } : {};
    this.redecide();
  }

  /** The last decision (null before the first one). */
  decision() {
    return this.lastDecision;
  }

  /** The context the next decision reads (debug mode only: see perso.js). */
  context() {
    return this.page ? this.#context() : null;
  }

  /** Why each campaign won, lost or was excluded (debug mode only: it names segments and rules). */
  async explain() {
    if (!this.config.debug || !this.ready || !this.cachedBytes) return null;
    const { explain } = await import("./debug.js");
    return explain(this.config, this.cachedBytes, this.visitors.bytes(), this.#context(), Date.now());
  }

  // ----- start-up -----

  async start() {
    observeDataLayer(this.win, {
      onCart: (name, params) => {
        const before = totalQty(this.cart);
        this.cart = sanitizeCart(applyCartEvent(this.cart, name, params));
        this.#cartChanged(name === "add_to_cart" && totalQty(this.cart) > before);
      },
      onConsent: (granted) => this.consent(granted),
      onAnalyticsConsent: (granted) => (this.analyticsDenied = !granted),
    });
    this.#watchNavigation();
    // Slots mounted later (lazy components, client-side routes) are filled from the decision at hand.
    observeSlots(this.doc, (slots) => this.placements.slotsAdded(slots, this.ready && !this.host.broken ? this.lastDecision : null));

    // The bundle GET was started with the engine's compile, by the script tag.
    const network = this.config.bundleRequest ?? fetchBundle(this.win, this.config);
    network.catch(() => {}); // handled where it is awaited; not an unhandled rejection meanwhile
    const cachedVerified = verifyCached(this.storage, this.config.keys).catch(() => null);
    let kit;
    try {
      kit = await this.host.load();
      this.win.performance.mark("perso:wasm-ready");
    } catch (error) {
      return this.#fail(error);
    }
    try {
      this.#loadVisitor(kit);
    } catch (error) {
      return this.#fail(error);
    }
    if (this.exposureModule) {
      try {
        const { Exposures, exposureConfig } = await this.exposureModule;
        const chosen = exposureConfig(this.config.exposure.value, this.config.exposure.onExposure);
        if (chosen) this.exposure = new Exposures(this.win, chosen, () => this.#mayPersist() && !this.analyticsDenied && !this.previewing);
      } catch (error) {
        console.warn("perso: the exposure module failed to load; no exposure events on this page.", error);
      }
    }
    let refused = null;
    if (this.previewing) {
      if (edgeSerial(this.doc) !== null) this.placements.hideEdgeRenderings();
      // The draft, or production as usual when it is refused (reported once decided).
      try {
        this.preview = await this.config.preview;
        const { engine, bytes } = await this.preview.load(this.host);
        this.#useEngine(engine, null, bytes);
        this.preview.show();
        this.placements.revealAll();
        return;
      } catch (error) {
        if (this.host.broken) return this.#fail(error);
        refused = error;
      }
    }
    const cached = await cachedVerified;
    if (cached) {
      try {
        const loaded = loadCachedBundle(this.host, cached);
        this.win.performance.mark("perso:cached-bundle-ready");
        this.#useEngine(loaded.engine, loaded.hash, cached.bytes);
      } catch (error) {
        // A cached bundle that no longer loads (or crashed the engine) is dropped.
        this.storage.remove(STORAGE_KEYS.bundle);
        if (error.code === "engine_trap") this.#fail(error);
      }
      if (this.host.broken) {
        // It crashed the engine (and is quarantined): a fresh instance takes the
        // network's bundle, if that is another one.
        this.bundleHash = null;
        try {
          this.#loadVisitor(this.host.reinstantiate());
        } catch (error) {
          return this.#fail(error);
        }
      }
    }
    try {
      const fetched = await network;
      const accepted = await acceptBundle(fetched, {
        storage: this.storage,
        keys: this.config.keys,
        host: this.host,
        currentHash: this.bundleHash,
      });
      if (accepted) this.#useEngine(accepted.engine, accepted.hash, fetched.bytes);
    } catch (error) {
      this.#fail(error);
    }
    if (refused) {
      this.#fail(refused);
      this.preview?.show();
    }
    this.placements.revealAll();
  }

  #loadVisitor(kit) {
    const fromEdge = this.edge && this.#mayPersist() ? readEdgeState(this.doc) : null;
    this.visitors.load(kit, { edgeBytes: fromEdge?.bytes, randomId: () => randomId(this.win), nowMs: Date.now() });
    if (fromEdge) this.edge.ackedMs = fromEdge.ackedMs; // the edge counted this page view
    this.pendingPageView = !fromEdge;
  }

  #useEngine(engine, hash, bytes) {
    this.host.use(engine);
    this.bundleHash = hash;
    this.cachedBytes = bytes;
    this.ready = true;
    this.page = this.host.call((e) => e.pageContext(pageFacts(this.win)));
    if (this.pendingPageView) {
      // The first engine counts this page view (the bundle's rules do not change it).
      this.pendingPageView = false;
      this.host.call((e) => e.pageView(this.visitors.visitor, this.page.pageView, Date.now()));
      this.visitors.save();
    }
    this.redecide();
  }

  // ----- deciding -----

  #context() {
    const context = collectContext(this.page, {
      cart: this.cart,
      customer: this.customer,
      consent: this.consentState,
      custom: this.custom,
    });
    this.lastContext = context;
    return context;
  }

  /**
   * Decides again and applies the result; safe to call at any time. `shopperActed`:
   * the shopper's own action prompted it, so seen defaults may change.
   */
  redecide({ shopperActed = false } = {}) {
    if (!this.ready || this.host.broken) return;
    let decision;
    let heldOut = null;
    try {
      const context = this.#context();
      const now = Date.now();
      decision = this.host.call((engine) => engine.decide(context, this.visitors.visitor, now));
      this.#scheduleThresholds(now, decision.recheck_at_ms);
      if (this.exposure) heldOut = this.#exposeDecision(decision);
    } catch (error) {
      return this.#fail(error);
    }
    this.lastDecision = decision;
    if (decision.over_budget && !this.reportedCodes.has("over_budget")) {
      // Bounded work (docs/bundle-format.md, Limits): these campaigns were left out, the
      // decision stands. Said once per page, like every other error.
      this.reportedCodes.add("over_budget");
      const message = `${decision.over_budget.slice(0, 10).join(", ")}${decision.over_budget.length > 10 ? ", ..." : ""}: over the engine's evaluation budget, left out of this decision`;
      console.warn(`perso: ${message} (code over_budget); the rest of the page is decided.`);
      this.#emit("perso:error", { code: "over_budget", message, campaigns: [...decision.over_budget] });
    }
    this.#emit("perso:decision", {
      serial: decision.serial,
      placements: decision.placements.map(({ placement, campaign, variant }) => ({ placement, campaign, variant: variant ?? null })),
      holdouts: decision.holdouts ?? [],
    });
    if (!this.firstDecisionDone) this.win.performance.mark("perso:decided");
    this.placements.apply(decision, { shopperActed, heldOut });
    if (this.preview?.serial === decision.serial) this.preview.decided(decision);
    if (!this.firstDecisionDone) {
      this.firstDecisionDone = true;
      this.win.performance.mark("perso:first-decision");
    }
    if (this.config.debug) this.#debug();
  }

  /**
   * A decision's exposures that are not renderings: the global holdout at once; and
   * the experiments that held this visitor out, returned for Placements to count where
   * and when each would have shown (its slot on the page, its trigger fired).
   */
  #exposeDecision(decision) {
    this.exposure.decided(decision);
    const holdouts = decision.holdouts ?? [];
    if (holdouts.length === 0) return [];
    return this.host.call((engine) => holdouts.map((id) => engine.campaignInfo(id)).filter(Boolean));
  }

  // ----- what the shopper did -----

  #record(update) {
    try {
      this.host.call((engine) => update(engine, this.visitors.visitor, Date.now()));
      this.visitors.save();
    } catch (error) {
      this.#fail(error);
    }
  }

  #impression(placed) {
    this.#record((engine, visitor, now) => engine.recordImpression(visitor, placed.campaign, now));
    this.#tellEdge({ t: "impression", c: placed.campaign });
    this.#emit("perso:impression", ids(placed));
    this.exposure?.impression(placed);
  }

  /** A slot the edge rendered with this campaign, kept as it is (the edge recorded the impression). */
  #adopted(placed) {
    this.#emit("perso:impression", ids(placed));
    this.exposure?.impression(placed);
  }

  #dismiss(placed) {
    this.#record((engine, visitor, now) => engine.recordDismissal(visitor, placed.campaign, now));
    this.#tellEdge({ t: "dismiss", c: placed.campaign });
    this.#emit("perso:dismiss", ids(placed));
  }

  #click(placed) {
    this.#record((engine, visitor, now) => engine.recordClick(visitor, placed.campaign, now));
    this.#tellEdge({ t: "click", c: placed.campaign });
    this.#emit("perso:click", ids(placed));
    this.exposure?.click(placed);
  }

  /** The shopper clicked "Claim": a click, and the one request to the store's claim endpoint. */
  #claim(placed) {
    this.#click(placed);
    this.#emit("perso:claim", ids(placed));
    return this.claims.claim(placed.campaign);
  }

  #register(placed, answers) {
    this.#tellEdge({ t: "register", interests: answers });
    this.#record((engine, visitor, now) => engine.register(visitor, answers, now));
    this.#emit("perso:click", ids(placed));
    this.exposure?.click(placed);
    // The shopper just told us something: what it changes shows at once, even in
    // slots whose default they have already seen (an answer is not a late swap).
    queueMicrotask(() => this.redecide({ shopperActed: true }));
    return placed.action.reward ?? null;
  }

  /** On an edge page, what happened here reaches the edge's next decision (never without consent). */
  #tellEdge(event) {
    if (this.edge && this.#mayPersist()) reportToEdge(this.doc, this.win, { ...event, at: Date.now() }, this.edge.ackedMs);
  }

  #cartChanged(added) {
    this.storage.setJSON(STORAGE_KEYS.cart, this.cart);
    if (this.edge && this.#mayPersist()) shareCart(this.doc, this.win, this.cart);
    if (this.ready && !this.host.broken) {
      try {
        this.host.call(() => this.visitors.visitor.touch(Date.now()));
        this.visitors.save();
      } catch (error) {
        return this.#fail(error);
      }
    }
    // Decide first: what the new cart makes eligible (a chat armed for the add to
    // cart) is armed before the moment fires.
    this.redecide();
    if (added) this.placements.addedToCart();
  }

  /**
   * Timers derived from the bundle (no polling): the session time-on-site thresholds
   * its conditions use, and the engine's own `recheck_at_ms` (a guardrail gap ending).
   */
  #scheduleThresholds(now, recheckAtMs) {
    for (const id of this.thresholdTimers.splice(0)) this.win.clearTimeout(id);
    if (Number.isFinite(recheckAtMs) && recheckAtMs > now) {
      this.thresholdTimers.push(this.win.setTimeout(() => this.redecide(), recheckAtMs - now + 20));
    }
    const thresholds = this.host.call((engine) => engine.timeOnSiteThresholds());
    const elapsedS = (now - this.visitors.visitor.sessionStartMs) / 1000;
    for (const seconds of thresholds) {
      if (seconds <= elapsedS) continue;
      // A few ms past the threshold so the engine sees it crossed.
      this.thresholdTimers.push(this.win.setTimeout(() => this.redecide(), (seconds - elapsedS) * 1000 + 20));
    }
  }

  // ----- SPA navigation, errors, events -----

  #watchNavigation() {
    let lastPath = this.win.location.pathname + this.win.location.search;
    const onNavigate = () => {
      const path = this.win.location.pathname + this.win.location.search;
      if (path === lastPath) return;
      lastPath = path;
      this.placements.navigated();
      this.exposure?.newPage();
      if (this.ready && !this.host.broken) {
        try {
          this.page = this.host.call((e) => e.pageContext(pageFacts(this.win)));
          this.host.call((e) => e.pageView(this.visitors.visitor, this.page.pageView, Date.now()));
          this.visitors.save();
        } catch (error) {
          return this.#fail(error);
        }
      }
      this.redecide();
    };
    watchNavigation(this.win, onNavigate); // pushState, replaceState, popstate, the Navigation API
  }

  /** Reports an error once per code: one console message and one `perso:error` event. */
  fail(error) {
    this.#fail(error);
  }

  #fail(error) {
    const code = error?.code ?? "internal";
    if (code === "engine_trap") {
      // The bundle in use crashed the engine: quarantined on this device, defaults back.
      if (this.bundleHash) quarantine(this.storage, { hash: this.bundleHash, serial: this.lastDecision?.serial ?? null });
      this.ready = false;
      this.placements.dropAll();
      for (const id of this.thresholdTimers.splice(0)) this.win.clearTimeout(id);
    }
    // Storage trouble is not fatal (perso goes on in memory): slots still wait for the decision.
    if (code !== "storage_unavailable") this.placements.revealAll();
    if (this.reportedCodes.has(code)) return;
    this.reportedCodes.add(code);
    console.warn(`perso: ${error?.message ?? error} (code ${code}); the page keeps its default content.`);
    this.#emit("perso:error", { code, message: String(error?.message ?? error) });
  }

  #emit(type, detail) {
    this.doc.dispatchEvent(new CustomEvent(type, { detail: this.previewing ? { ...detail, preview: true } : detail }));
  }

  async #debug() {
    try {
      const explanation = await this.explain();
      const { showDebugOverlay, stateJson } = await import("./debug.js");
      const snapshot = {
        context: this.lastContext,
        explanation,
        decision: this.lastDecision,
        state: await stateJson(this.config, this.visitors.bytes()),
        consent: this.consentState,
      };
      showDebugOverlay(this.doc, snapshot);
    } catch (error) {
      this.#fail(error);
    }
  }

  #mayPersist() {
    return this.consentState.personalization && !this.consentState.gpc;
  }
}

function ids(placed) {
  return { campaign: placed.campaign, variant: placed.variant ?? null, placement: placed.placement };
}

function normalizeLine(item) {
  if (!item || typeof item !== "object" || typeof item.sku !== "string" || item.sku === "") return null;
  const line = { sku: item.sku.slice(0, 64) };
  if (typeof item.category === "string") line.category = item.category.slice(0, 64);
  if (Number.isFinite(item.price) && item.price >= 0) line.price = item.price;
  const qty = Number(item.qty ?? 1);
  line.qty = Number.isFinite(qty) && qty > 0 ? Math.min(Math.floor(qty), 999) : 1;
  return line;
}

function sanitizeCart(items) {
  return Array.isArray(items) ? items.map(normalizeLine).filter(Boolean).slice(0, 50) : [];
}

const totalQty = (items) => items.reduce((sum, line) => sum + (line?.qty ?? 0), 0);

function randomId(win) {
  if (win.crypto?.randomUUID) return win.crypto.randomUUID();
  const bytes = win.crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export { PersoError };
