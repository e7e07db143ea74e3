// The browser runtime: one instance per page. It owns the visitor state, the cart and
// consent, asks the engine for decisions and applies them to the page. Everything it
// reads stays on the device; the only requests it makes are the bundle and signature GETs.
import { EngineHost } from "./engine-host.js";
import { PersoError } from "./errors.js";
import { DeviceStorage, STORAGE_KEYS } from "./storage.js";
import { loadCachedBundle, verifyCached, fetchBundle, acceptBundle } from "./bundle-loader.js";
import { collectContext, customerFromPage, pickCustomer, globalPrivacyControl, referrerHost, utmFrom, deviceType } from "./context.js";
import { observeDataLayer, applyCartEvent, cartLineFromGa4 } from "./datalayer.js";
import { armTrigger } from "./triggers.js";
import { slotContent, openPopup } from "./render.js";
import { adoptStyles } from "./styles.js";
import { edgeSerial, readEdgeState, reportToEdge, shareCart } from "./edge-handoff.js";

const SLOT_KINDS = new Set(["banner", "welcome", "recommend"]);
const POPUP_KINDS = new Set(["offer", "register"]);

export class Runtime {
  /** `config`: see `start()` in perso.js. */
  constructor(win, config) {
    this.win = win;
    this.doc = win.document;
    this.config = config;
    this.host = new EngineHost({ glueUrl: config.glueUrl, wasmUrl: config.wasmUrl });
    this.reportedCodes = new Set();
    this.pageStart = win.performance.now();
    this.consentState = {
      gpc: globalPrivacyControl(win),
      // "required": nothing is stored and nothing consent-gated is shown until granted.
      personalization: config.consent !== "required",
    };
    if (this.consentState.gpc) this.consentState.personalization = false;
    this.storage = new DeviceStorage({
      persistent: this.#mayPersist(),
      onUnavailable: (error) => this.#fail(new PersoError("storage_unavailable",
        `localStorage is unavailable (${error?.name ?? "error"}); perso keeps this visit's state in memory and decides from the page alone.`, error)),
    });
    this.cart = sanitizeCart(this.storage.getJSON(STORAGE_KEYS.cart));
    this.customer = customerFromPage(this.doc);
    this.custom = {};
    this.state = null;
    this.rendered = new Map(); // placement -> { key, campaign } currently shown in a slot
    this.pending = new Map(); // placement -> { campaign, disarm } armed trigger
    this.shownThisPage = new Set(); // interruptions already shown on this page
    this.openPopups = new Map(); // campaign -> { close }
    this.addToCartListeners = new Set();
    this.thresholdTimers = [];
    this.firstDecisionDone = false;
    this.ready = false;
    this.lastDecision = null;
    this.lastContext = null;
    // Set when perso's edge worker personalized this page (docs/edge-deploy.md §1).
    this.edge = edgeSerial(this.doc) !== null ? { ackedMs: 0 } : null;
  }

  // ----- public API (window.perso and the object start() resolves to) -----

  setCart(items) {
    const lines = Array.isArray(items) ? items.map((item) => (item && "item_id" in item ? cartLineFromGa4(item) : normalizeLine(item))) : [];
    const added = totalQty(lines.filter(Boolean)) > totalQty(this.cart);
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
    this.storage.setPersistent(this.#mayPersist());
    if (personalization && this.state) this.#saveState();
    if (personalization) this.storage.setJSON(STORAGE_KEYS.cart, this.cart);
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

  explain() {
    if (!this.ready) return null;
    try {
      return this.host.call((engine) => engine.explain(this.#context(), this.state, Date.now()));
    } catch (error) {
      this.#fail(error);
      return null;
    }
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
    });
    this.#watchNavigation();

    // The network revalidation starts at once, in parallel with the engine's load.
    const network = fetchBundle(this.win, this.config);
    network.catch(() => {}); // handled where it is awaited; not an unhandled rejection meanwhile
    const cachedVerified = this.#verifyCachedEarly();
    try {
      await this.host.load();
      this.win.performance.mark("perso:wasm-ready");
    } catch (error) {
      return this.#fail(error);
    }
    try {
      this.#loadState();
    } catch (error) {
      return this.#fail(error);
    }
    try {
      const cached = await loadCachedBundle(this.storage, this.config.keys, this.host, await cachedVerified);
      if (cached) {
        this.win.performance.mark("perso:cached-bundle-ready");
        this.cachedText = cached.text;
        this.#useEngine(cached.engine);
      }
    } catch (error) {
      // A cached bundle that no longer verifies or compiles is dropped, not fatal.
      this.storage.remove(STORAGE_KEYS.bundle);
      if (error.code === "engine_trap") return this.#fail(error);
    }
    try {
      const fetched = await network;
      const engine = await acceptBundle(fetched, {
        storage: this.storage,
        keys: this.config.keys,
        host: this.host,
        currentText: this.cachedText,
      });
      if (engine) this.#useEngine(engine);
    } catch (error) {
      this.#fail(error);
    }
    this.#revealSlots();
  }

  /** Checks the cached bundle's signature while the wasm loads (WebCrypto is async). */
  async #verifyCachedEarly() {
    try {
      return await verifyCached(this.storage, this.config.keys);
    } catch {
      return null;
    }
  }

  #loadState() {
    const wasm = this.host.wasm;
    const now = Date.now();
    // The edge counted this page view and signed the state: take it as is.
    const fromEdge = this.edge && this.#mayPersist() ? readEdgeState(this.doc) : null;
    if (fromEdge) {
      try {
        this.state = this.host.call((_, glue) => glue.parseVisitorState(JSON.stringify(fromEdge.state)));
        this.edge.ackedMs = fromEdge.ackedMs;
        this.#saveState();
        return;
      } catch (error) {
        if (error.code === "engine_trap") throw error;
        // An unusable edge state: fall back to the device's own.
      }
    }
    const stored = this.storage.get(STORAGE_KEYS.visitor);
    let state = null;
    if (stored) {
      try {
        state = this.host.call((_, glue) => glue.parseVisitorState(stored));
      } catch (error) {
        if (error.code === "engine_trap") throw error;
        state = null; // unusable stored state: start afresh
      }
    }
    if (!state) state = wasm.newVisitorState(randomId(this.win), now);
    this.state = this.#pageView(state, now);
    this.#saveState();
  }

  #pageView(state, now) {
    const referrer = this.doc.referrer;
    const host = referrerHost(referrer);
    const external = host && host !== this.win.location.hostname;
    const page = { utm: utmFrom(new URL(this.win.location.href)) };
    if (external) page.referrer_host = host;
    return this.host.call((_, glue) => glue.pageView(state, page, now));
  }

  #useEngine(engine) {
    this.host.use(engine);
    this.ready = true;
    this.redecide();
  }

  // ----- deciding and rendering -----

  #context() {
    const context = collectContext(this.win, {
      cart: this.cart,
      customer: this.customer,
      consent: this.consentState,
      custom: this.custom,
    });
    this.lastContext = context;
    return context;
  }

  /** Decides again and applies the result; safe to call at any time. */
  redecide() {
    if (!this.ready || this.host.broken) return;
    let decision;
    let context;
    try {
      context = this.#context();
      const now = Date.now();
      decision = this.host.call((engine) => engine.decide(context, this.state, now));
      this.#scheduleThresholds(now, decision.recheck_at_ms);
    } catch (error) {
      return this.#fail(error);
    }
    this.lastDecision = decision;
    this.#emit("perso:decision", {
      serial: decision.serial,
      placements: decision.placements.map(({ placement, campaign, variant }) => ({ placement, campaign, variant: variant ?? null })),
      holdouts: decision.holdouts ?? [],
    });
    if (!this.firstDecisionDone) this.win.performance.mark("perso:decided");
    const decided = new Set();
    for (const placed of decision.placements) {
      decided.add(placed.placement);
      this.#apply(placed);
    }
    for (const [placement, pending] of this.pending) {
      if (!decided.has(placement)) {
        pending.disarm();
        this.pending.delete(placement);
      }
    }
    for (const [placement] of this.rendered) {
      if (!decided.has(placement)) this.#restoreDefault(placement);
    }
    this.#revealSlots();
    if (!this.firstDecisionDone) {
      this.firstDecisionDone = true;
      this.win.performance.mark("perso:first-decision");
    }
    if (this.config.debug) this.#debug(context);
  }

  #apply(placed) {
    if (this.#adoptFromEdge(placed)) return;
    const kind = placed.action.kind;
    const existing = this.pending.get(placed.placement);
    if (existing && existing.campaign === placed.campaign) return; // already waiting for its trigger
    if (existing) {
      existing.disarm();
      this.pending.delete(placed.placement);
    }
    if (SLOT_KINDS.has(kind)) {
      const slot = this.#slot(placed.placement);
      if (!slot) return;
      const key = `${placed.campaign}|${placed.variant ?? ""}|${JSON.stringify(placed.action)}`;
      if (this.rendered.get(placed.placement)?.key === key) return;
      if (!this.rendered.has(placed.placement) && !this.#maySwap(slot)) return;
      this.#arm(placed, () => this.#renderSlot(slot, placed, key));
    } else if (POPUP_KINDS.has(kind) || kind === "chat") {
      if (this.shownThisPage.has(placed.campaign)) return;
      // One pop-up per placement at a time: the next waits for a re-decision after this one closes.
      if ([...this.openPopups.values()].some((open) => open.placement === placed.placement)) return;
      this.#arm(placed, () => (kind === "chat" ? this.#chat(placed) : this.#popup(placed)));
    }
  }

  /**
   * A slot the edge already filled with this very campaign is kept as it is: no
   * re-render, no flicker, and no second impression (the edge recorded it); its links
   * and dismiss button are wired to the runtime.
   */
  #adoptFromEdge(placed) {
    if (!this.edge) return false;
    const current = this.rendered.get(placed.placement);
    if (current?.adopted) return current.campaign === placed.campaign;
    const slot = this.#slot(placed.placement);
    if (!slot || slot.getAttribute("data-perso-rendered") !== placed.campaign) return false;
    this.rendered.set(placed.placement, { key: null, campaign: placed.campaign, slot, adopted: true });
    if (placed.interruption) this.shownThisPage.add(placed.campaign);
    slot.setAttribute("data-perso-decided", "");
    for (const link of slot.querySelectorAll("a[href]")) link.addEventListener("click", () => this.#click(placed));
    const dismiss = slot.querySelector("form.perso-dismiss");
    dismiss?.addEventListener("submit", (event) => {
      event.preventDefault();
      this.#dismiss(placed);
      slot.replaceChildren();
    });
    this.#emit("perso:impression", ids(placed));
    return true;
  }

  #arm(placed, show) {
    if ((placed.trigger?.on ?? "now") === "now") {
      show(); // synchronously, while a waiting slot is still hidden
      return;
    }
    const disarm = armTrigger(this.win, placed.trigger, () => {
      this.pending.delete(placed.placement);
      if (this.host.broken) return;
      show();
    }, {
      pageStart: this.pageStart,
      deviceType: deviceType(this.win),
      onAddToCart: (fn) => {
        this.addToCartListeners.add(fn);
        return () => this.addToCartListeners.delete(fn);
      },
    });
    this.pending.set(placed.placement, { campaign: placed.campaign, disarm });
  }

  #slot(placement) {
    return this.doc.querySelector(`[data-perso-slot="${CSS.escape(placement)}"]`);
  }

  /**
   * Default content already seen by the shopper is never swapped: a slot may change
   * only while it is still hidden (waiting for perso), empty, or out of view.
   */
  #maySwap(slot) {
    const hasDefault = [...slot.childNodes].some((node) => node.nodeType === 1 || node.textContent.trim() !== "");
    if (!hasDefault) return true;
    if (!slot.isConnected) return false;
    if (this.win.getComputedStyle(slot).visibility === "hidden") return true;
    const box = slot.getBoundingClientRect();
    return box.bottom < 0 || box.top > this.win.innerHeight;
  }

  #renderSlot(slot, placed, key) {
    if (!this.rendered.has(placed.placement) && !this.#maySwap(slot)) return;
    const content = slotContent(this.doc, placed, {
      base: this.win.location.href,
      currency: this.config.currency,
      locale: this.win.navigator.language,
      onClick: () => this.#click(placed),
    });
    if (!content) return;
    const root = slot.shadowRoot ?? slot.attachShadow({ mode: "open" });
    adoptStyles(root);
    root.replaceChildren(content);
    slot.setAttribute("data-perso-campaign", placed.campaign);
    slot.setAttribute("data-perso-decided", "");
    const first = this.rendered.get(placed.placement)?.campaign !== placed.campaign;
    this.rendered.set(placed.placement, { key, campaign: placed.campaign, slot });
    if (first) this.#impression(placed);
  }

  #restoreDefault(placement) {
    const slot = this.#slot(placement);
    this.rendered.delete(placement);
    if (!slot?.shadowRoot) return;
    slot.shadowRoot.replaceChildren(this.doc.createElement("slot"));
    slot.removeAttribute("data-perso-campaign");
  }

  #popup(placed) {
    this.shownThisPage.add(placed.campaign);
    const popup = openPopup(this.doc, placed, {
      base: this.win.location.href,
      onDismiss: () => this.#dismiss(placed),
      onClosed: () => this.openPopups.delete(placed.campaign),
      onClick: () => this.#click(placed),
      onRegister: (interests) => this.#register(placed, interests),
    });
    this.openPopups.set(placed.campaign, { ...popup, placement: placed.placement });
    this.#impression(placed);
  }

  #chat(placed) {
    this.shownThisPage.add(placed.campaign);
    const detail = { campaign: placed.campaign, variant: placed.variant ?? null, message: placed.action.message ?? null, topic: placed.action.topic ?? null };
    this.#emit("perso:chat", detail);
    try {
      this.config.onChat?.(detail);
    } catch (error) {
      console.warn("perso: the onChat callback threw", error);
    }
    this.#impression(placed);
  }

  #impression(placed) {
    this.#updateState((engine) => engine.recordImpression(this.state, placed.campaign, Date.now()));
    this.#tellEdge({ t: "impression", c: placed.campaign });
    this.#emit("perso:impression", ids(placed));
  }

  #dismiss(placed) {
    this.#updateState((engine) => engine.recordDismissal(this.state, placed.campaign, Date.now()));
    this.#tellEdge({ t: "dismiss", c: placed.campaign });
    this.#emit("perso:dismiss", ids(placed));
  }

  #click(placed) {
    this.#updateState((engine) => engine.recordClick(this.state, placed.campaign, Date.now()));
    this.#tellEdge({ t: "click", c: placed.campaign });
    this.#emit("perso:click", ids(placed));
  }

  /** On an edge page, what happened here reaches the edge's next decision (never without consent). */
  #tellEdge(event) {
    if (this.edge && this.#mayPersist()) reportToEdge(this.doc, this.win, { ...event, at: Date.now() }, this.edge.ackedMs);
  }

  #register(placed, interests) {
    this.#tellEdge({ t: "register", interests });
    this.#updateState((_, glue) => glue.register(this.state, interests, Date.now()));
    this.#emit("perso:click", ids(placed));
    queueMicrotask(() => this.redecide());
    return placed.action.reward ?? null;
  }

  #updateState(update) {
    if (!this.state) return;
    try {
      this.state = this.host.call((engine, glue) => update(engine, glue));
      this.#saveState();
    } catch (error) {
      this.#fail(error);
    }
  }

  #saveState() {
    this.storage.set(STORAGE_KEYS.visitor, JSON.stringify(this.state));
  }

  #cartChanged(added) {
    this.storage.setJSON(STORAGE_KEYS.cart, this.cart);
    if (this.edge && this.#mayPersist()) shareCart(this.doc, this.win, this.cart);
    if (added) for (const listener of [...this.addToCartListeners]) listener();
    this.redecide();
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
    const elapsedS = (now - this.state.session.start_ms) / 1000;
    for (const seconds of thresholds) {
      if (seconds <= elapsedS) continue;
      // A few ms past the threshold so the engine sees it crossed.
      this.thresholdTimers.push(this.win.setTimeout(() => this.redecide(), (seconds - elapsedS) * 1000 + 20));
    }
  }

  // ----- SPA navigation, reveal, errors, events -----

  #watchNavigation() {
    const history = this.win.history;
    let lastPath = this.win.location.pathname + this.win.location.search;
    const onNavigate = () => {
      const path = this.win.location.pathname + this.win.location.search;
      if (path === lastPath) return;
      lastPath = path;
      this.pageStart = this.win.performance.now();
      this.shownThisPage.clear();
      for (const pending of this.pending.values()) pending.disarm();
      this.pending.clear();
      // Slots the router replaced are gone; slots still on the page keep what they show
      // until the new decision updates or restores them.
      for (const [placement, shown] of this.rendered) {
        if (!shown.slot.isConnected) this.rendered.delete(placement);
      }
      if (this.state && !this.host.broken) {
        try {
          this.state = this.#pageView(this.state, Date.now());
          this.#saveState();
        } catch (error) {
          return this.#fail(error);
        }
      }
      this.redecide();
    };
    const originalPush = history.pushState;
    history.pushState = function pushStateObservedByPerso(...args) {
      const result = originalPush.apply(this, args);
      queueMicrotask(onNavigate);
      return result;
    };
    this.win.addEventListener("popstate", onNavigate);
  }

  /** Marks every slot decided so the anti-flicker CSS reveals it (perso is done with it). */
  #revealSlots() {
    for (const slot of this.doc.querySelectorAll("[data-perso-slot]:not([data-perso-decided])")) {
      slot.setAttribute("data-perso-decided", "");
    }
  }

  /** Reports an error once per code: one console message and one `perso:error` event. */
  fail(error) {
    this.#fail(error);
  }

  #fail(error) {
    const code = error?.code ?? "internal";
    if (code === "engine_trap") this.#dropRendering();
    // Storage trouble is not fatal (perso goes on in memory): slots still wait for the decision.
    if (code !== "storage_unavailable") this.#revealSlots();
    if (this.reportedCodes.has(code)) return;
    this.reportedCodes.add(code);
    console.warn(`perso: ${error?.message ?? error} (code ${code}); the page keeps its default content.`);
    this.#emit("perso:error", { code, message: String(error?.message ?? error) });
  }

  /** After a trap: back to the page's defaults everywhere, nothing pending. */
  #dropRendering() {
    this.ready = false;
    for (const pending of this.pending.values()) pending.disarm();
    this.pending.clear();
    for (const [placement] of this.rendered) this.#restoreDefault(placement);
    for (const popup of [...this.openPopups.values()]) popup.close("error");
    this.openPopups.clear();
    for (const id of this.thresholdTimers.splice(0)) this.win.clearTimeout(id);
  }

  #emit(type, detail) {
    this.doc.dispatchEvent(new CustomEvent(type, { detail }));
  }

  #debug(context) {
    let explanation = null;
    try {
      explanation = this.host.call((engine) => engine.explain(context, this.state, Date.now()));
    } catch (error) {
      return this.#fail(error);
    }
    const snapshot = { context, explanation, decision: this.lastDecision, state: this.state, consent: this.consentState };
    // Loaded only with ?perso_debug=1, so shoppers never download it.
    import("./debug.js").then(({ showDebugOverlay }) => showDebugOverlay(this.doc, snapshot));
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
