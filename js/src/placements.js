// What perso shows on the page: decided placements applied to their slots
// (`data-perso-slot`, in a Shadow DOM root) or as pop-ups, each when its trigger
// fires; defaults restored when a placement has nothing to show; slots the edge
// worker already filled adopted as they are. It owns no state about the visitor:
// impressions, clicks and dismissals go back to the runtime through callbacks.
import { armTrigger } from "./triggers.js";
import { slotContent, openPopup } from "./render.js";
import { adoptStyles } from "./styles.js";

const SLOT_KINDS = new Set(["banner", "welcome", "recommend"]);
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
  }

  /** Applies a decision: every decided placement, defaults back where nothing is decided. */
  apply(decision) {
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
    this.revealAll();
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
    for (const [placement, shown] of this.rendered) {
      if (!shown.slot.isConnected) this.rendered.delete(placement);
    }
  }

  /** Marks every slot decided so the anti-flicker CSS reveals it (perso is done with it). */
  revealAll() {
    for (const slot of this.doc.querySelectorAll("[data-perso-slot]:not([data-perso-decided])")) {
      slot.setAttribute("data-perso-decided", "");
    }
  }

  /** After a trap: back to the page's defaults everywhere, nothing pending. */
  dropAll() {
    for (const pending of this.pending.values()) pending.disarm();
    this.pending.clear();
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
    this.hooks.emit("perso:impression", { campaign: placed.campaign, variant: placed.variant ?? null, placement: placed.placement });
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
      show();
    }, {
      pageStart: this.pageStart,
      deviceType: this.hooks.deviceType(),
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
    if (!slot?.shadowRoot) return;
    slot.shadowRoot.replaceChildren(this.doc.createElement("slot"));
    slot.removeAttribute("data-perso-campaign");
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
