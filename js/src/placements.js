// What perso shows on the page: decided placements applied to their slots
// (`data-perso-slot`, in a Shadow DOM root) or as pop-ups, each when its trigger
// fires; defaults restored when a placement has nothing to show; slots the edge
// worker already filled adopted as they are. It owns no state about the visitor:
// impressions, clicks and dismissals go back to the runtime through callbacks.
import { armTrigger } from "./triggers.js";
import { slotContent, openPopup } from "./render.js";
import { adoptStyles } from "./styles.js";

const SLOT_KINDS = new Set(["banner", "welcome", "recommend"]);

/** Mirrors perso_core::decide::answers_shopper: armed on the shopper's own action. */
const answersShopper = (placed) => placed.interruption && placed.trigger?.on === "add_to_cart";
const POPUP_KINDS = new Set(["offer", "register"]);

export class Placements {
  constructor(win, hooks) {
    this.win = win;
    this.doc = win.document;
    this.hooks = hooks;
    this.pageStart = win.performance.now();
    this.rendered = new Map(); // placement -> { key, campaign, slot } currently shown in a slot
    this.pending = new Map(); // placement -> { campaign, disarm } armed trigger
    this.shownThisPage = new Set(); // interruptions already shown on this page
    this.openPopups = new Map(); // campaign -> { close, placement }
    this.addToCartListeners = new Set();
    this.appSlots = new WeakSet(); // app-drawn slots whose link clicks are listened to
    this.settled = false; // perso is done with the page's first slots (decided, or failed)
    this.unpainted = null; // slots just inserted (slotsAdded): their defaults were never on screen
    this.ghosts = new Map(); // campaign -> disarm: a holdout's trigger, armed as if it were shown
    this.ghostsFired = new Set(); // holdouts whose exposure was counted on this page
    this.edgeHidden = new WeakSet(); // a preview behind the edge: slots whose edge rendering is hidden
  }

  /**
   * Applies a decision: every decided placement, defaults back where nothing is decided.
   * `shopperActed`: the shopper's own action prompted it (an answer to the registration
   * prompt), so slots whose default they have seen may change too. `heldOut`: see
   * heldOut() (counted here, before the slots are revealed, as a rendering would be).
   */
  apply(decision, { shopperActed = false, heldOut = null } = {}) {
    const decided = new Set();
    this.shopperActed = shopperActed;
    try {
      for (const placed of decision.placements) {
        decided.add(placed.placement);
        this.#apply(placed);
      }
    } finally {
      this.shopperActed = false;
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
    if (heldOut) this.heldOut(heldOut);
    this.revealAll();
  }

  /**
   * Slots inserted after the decision (slot-observer.js): filled from `decision` at once,
   * without deciding again; their defaults were never painted, so they may be swapped.
   * Without a decision, they wait for it, or are revealed if perso has given up.
   */
  slotsAdded(slots, decision) {
    if (!decision) {
      if (this.settled) this.revealAll();
      return;
    }
    for (const [placement, shown] of this.rendered) {
      if (!shown.slot.isConnected) this.rendered.delete(placement); // its slot went with the old view
    }
    this.unpainted = new Set(slots);
    try {
      this.apply(decision, { heldOut: this.lastHeld });
    } finally {
      this.unpainted = null;
    }
  }

  /**
   * Experiments that held this visitor out (`{ campaign, placement, kind, trigger }`,
   * from the decision's holdouts): each is counted (`hooks.onHeldOut`) where and when
   * it would have shown — its slot on the page, its trigger fired — so the holdout arm
   * is exposed on the same terms as the variants that render. Shows nothing.
   */
  heldOut(list) {
    this.lastHeld = list;
    const now = new Set(list.map((info) => info.campaign));
    for (const [campaign, disarm] of this.ghosts) {
      if (!now.has(campaign)) {
        disarm();
        this.ghosts.delete(campaign);
      }
    }
    for (const info of list) {
      if (this.ghosts.has(info.campaign) || this.ghostsFired.has(info.campaign)) continue;
      if (SLOT_KINDS.has(info.kind)) {
        const slot = this.#slot(info.placement);
        if (!slot || (!this.rendered.has(info.placement) && !this.#maySwap(slot))) continue;
      }
      const fire = () => {
        this.ghosts.delete(info.campaign);
        this.ghostsFired.add(info.campaign);
        if (!this.hooks.isBroken()) this.hooks.onHeldOut(info);
      };
      if ((info.trigger?.on ?? "now") === "now") {
        fire();
        continue;
      }
      this.ghosts.set(info.campaign, armTrigger(this.win, info.trigger, fire, {
        pageStart: this.pageStart,
        deviceType: this.hooks.deviceType(),
        onAddToCart: (fn) => {
          this.addToCartListeners.add(fn);
          return () => this.addToCartListeners.delete(fn);
        },
      }));
    }
  }

  /**
   * A preview behind the edge: what the edge rendered is production's, not the draft's,
   * so it is hidden (an empty shadow root) until the draft decides there.
   */
  hideEdgeRenderings() {
    for (const slot of this.doc.querySelectorAll("[data-perso-slot][data-perso-rendered]")) {
      this.edgeHidden.add(slot);
      (slot.shadowRoot ?? slot.attachShadow({ mode: "open" })).replaceChildren();
    }
  }

  addedToCart() {
    for (const listener of [...this.addToCartListeners]) listener();
  }

  /** A client-side route change: pending triggers go; slots the router replaced are forgotten. */
  navigated() {
    this.pageStart = this.win.performance.now();
    this.shownThisPage.clear();
    for (const pending of this.pending.values()) pending.disarm();
    this.pending.clear();
    for (const disarm of this.ghosts.values()) disarm();
    this.ghosts.clear();
    this.ghostsFired.clear();
    for (const [placement, shown] of this.rendered) {
      if (!shown.slot.isConnected) this.rendered.delete(placement);
    }
  }

  /** Marks every slot decided so the anti-flicker CSS reveals it (perso is done with it). */
  revealAll() {
    this.settled = true;
    for (const slot of this.doc.querySelectorAll("[data-perso-slot]:not([data-perso-decided])")) {
      slot.setAttribute("data-perso-decided", "");
    }
  }

  /** After a trap: back to the page's defaults everywhere, nothing pending. */
  dropAll() {
    for (const pending of this.pending.values()) pending.disarm();
    this.pending.clear();
    for (const disarm of this.ghosts.values()) disarm();
    this.ghosts.clear();
    for (const [placement] of this.rendered) this.#restoreDefault(placement);
    for (const popup of [...this.openPopups.values()]) popup.close("error");
    this.openPopups.clear();
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
      if (slot.hasAttribute("data-perso-app")) return this.#arm(placed, () => this.#appSlot(slot, placed, key));
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
    if (!this.hooks.edge) return false;
    const current = this.rendered.get(placed.placement);
    if (current?.adopted) return current.campaign === placed.campaign;
    const slot = this.#slot(placed.placement);
    if (!slot || slot.getAttribute("data-perso-rendered") !== placed.campaign) return false;
    this.rendered.set(placed.placement, { key: null, campaign: placed.campaign, slot, adopted: true });
    if (placed.interruption) this.shownThisPage.add(placed.campaign);
    slot.setAttribute("data-perso-decided", "");
    for (const link of slot.querySelectorAll("a[href]")) link.addEventListener("click", () => this.hooks.onClick(placed));
    const dismiss = slot.querySelector("form.perso-dismiss");
    dismiss?.addEventListener("submit", (event) => {
      event.preventDefault();
      this.hooks.onDismiss(placed);
      slot.replaceChildren();
    });
    this.hooks.onAdopted(placed);
    return true;
  }

  #arm(placed, show) {
    if ((placed.trigger?.on ?? "now") === "now") {
      show(); // synchronously, while a waiting slot is still hidden
      return;
    }
    const disarm = armTrigger(this.win, placed.trigger, () => {
      this.pending.delete(placed.placement);
      if (this.hooks.isBroken()) return;
      if (answersShopper(placed)) this.#yieldTo(placed);
      show();
    }, {
      pageStart: this.pageStart,
      deviceType: this.hooks.deviceType(),
      onAddToCart: (fn) => {
        this.addToCartListeners.add(fn);
        return () => this.addToCartListeners.delete(fn);
      },
    });
    this.pending.set(placed.placement, { campaign: placed.campaign, disarm, placed });
  }

  /**
   * An interruption that answers the shopper's own action (a chat armed for the add
   * to cart) pre-empts the unprompted ones: a pop-up on screen closes (not a
   * dismissal: the shopper did not refuse it) and one still waiting for its trigger
   * is dropped for this page; the engine decides again whether it may come back (the
   * gap between interruptions then counts from this one).
   */
  #yieldTo(answer) {
    for (const [campaign, popup] of [...this.openPopups]) {
      if (campaign !== answer.campaign) popup.close("yield");
    }
    for (const [placement, pending] of [...this.pending]) {
      if (pending.placed?.interruption && !answersShopper(pending.placed) && pending.campaign !== answer.campaign) {
        pending.disarm();
        this.pending.delete(placement);
      }
    }
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
    if (!hasDefault || this.unpainted?.has(slot) || this.shopperActed || this.edgeHidden.has(slot) || !this.#painted()) return true;
    if (!slot.isConnected) return false;
    if (this.win.getComputedStyle(slot).visibility === "hidden") return true;
    const box = slot.getBoundingClientRect();
    return box.bottom < 0 || box.top > this.win.innerHeight;
  }

  /**
   * Whether the page has been painted at all: before the first paint (an `async` script
   * running while the page's stylesheets still load) no default has been seen. Without
   * the Paint Timing API, assume it has.
   */
  #painted() {
    if (this.paintedOnce) return true;
    const perf = this.win.performance;
    const supported = this.win.PerformanceObserver?.supportedEntryTypes?.includes("paint");
    this.paintedOnce = !supported || perf.getEntriesByType("paint").length > 0;
    return this.paintedOnce;
  }

  #options(placed) {
    return {
      base: this.win.location.href,
      currency: this.hooks.config.currency,
      locale: this.win.navigator.language,
      safeUrl: this.hooks.safeUrl,
      onClick: () => this.hooks.onClick(placed),
    };
  }

  #renderSlot(slot, placed, key) {
    if (!this.rendered.has(placed.placement) && !this.#maySwap(slot)) return;
    const content = slotContent(this.doc, placed, this.#options(placed));
    if (!content) return;
    const root = slot.shadowRoot ?? slot.attachShadow({ mode: "open" });
    adoptStyles(root);
    root.replaceChildren(content);
    slot.setAttribute("data-perso-campaign", placed.campaign);
    slot.setAttribute("data-perso-decided", "");
    const first = this.rendered.get(placed.placement)?.campaign !== placed.campaign;
    this.rendered.set(placed.placement, { key, campaign: placed.campaign, slot });
    if (first) this.hooks.onImpression(placed);
  }

  #restoreDefault(placement) {
    const slot = this.#slot(placement);
    this.rendered.delete(placement);
    slot?.removeAttribute("data-perso-campaign");
    if (slot && this.edgeHidden.has(slot)) slot.shadowRoot?.replaceChildren();
    else slot?.shadowRoot?.replaceChildren(this.doc.createElement("slot"));
  }

  /**
   * A slot the page's own code draws from the decision (`data-perso-app`: perso/react's
   * `render` prop, or any framework reading `perso.decision()`): perso does not render
   * into it; it marks it decided, counts the impression and the clicks on its links.
   */
  #appSlot(slot, placed, key) {
    const first = this.rendered.get(placed.placement)?.campaign !== placed.campaign;
    this.rendered.set(placed.placement, { key, campaign: placed.campaign, slot, placed });
    slot.setAttribute("data-perso-campaign", placed.campaign);
    slot.setAttribute("data-perso-decided", "");
    if (!this.appSlots.has(slot)) {
      this.appSlots.add(slot);
      slot.addEventListener("click", (event) => {
        const shown = this.rendered.get(placed.placement);
        if (shown?.slot === slot && shown.placed && event.target.closest?.("a[href]")) this.hooks.onClick(shown.placed);
      });
    }
    if (first) this.hooks.onImpression(placed);
  }

  #popup(placed) {
    this.shownThisPage.add(placed.campaign);
    const popup = openPopup(this.doc, placed, {
      ...this.#options(placed),
      onDismiss: () => this.hooks.onDismiss(placed),
      onClosed: () => this.openPopups.delete(placed.campaign),
      onRegister: (answers) => this.hooks.onRegister(placed, answers),
      onClaim: this.hooks.onClaim ? () => this.hooks.onClaim(placed) : null,
    });
    this.openPopups.set(placed.campaign, { ...popup, placement: placed.placement });
    this.hooks.onImpression(placed);
  }

  #chat(placed) {
    this.shownThisPage.add(placed.campaign);
    const detail = { campaign: placed.campaign, variant: placed.variant ?? null, message: placed.action.message ?? null, topic: placed.action.topic ?? null };
    this.hooks.onChat(detail);
    try {
      this.hooks.config.onChat?.(detail);
    } catch (error) {
      console.warn("perso: the onChat callback threw", error);
    }
    this.hooks.onImpression(placed);
  }
}
