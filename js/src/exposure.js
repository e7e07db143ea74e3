// Exposure events into the store's own analytics (opt-in: `data-exposure` / the
// `exposure` and `onExposure` options; docs/browser-runtime.md, "Measuring: exposures
// into your analytics"). perso sends nothing itself: it pushes standard events into
// the page's first-party `window.dataLayer` (created if absent, as gtag does), where
// the store's tag manager forwards them like any other — or hands them to the store's
// `onExposure(event)` instead. Two schemas:
//   "ga4":        view_promotion when a campaign is rendered, select_promotion on a click;
//   "growthbook": experiment_viewed {experiment_id, variation_id} (GrowthBook's warehouse
//                 exposure, what `perso report` reads) when a visitor is exposed to an
//                 experiment's variant, held out of it (variation "holdout"), or is in or
//                 out of the bundle's global holdout (experiment "perso_global").
// Ids only (campaign, variant, placement), never a context value, segment or rule; and
// nothing at all unless perso may keep state (consent not denied, not still required,
// no Global Privacy Control): the runtime's `allowed()`.

/** The experiment id of the bundle's global holdout. */
export const GLOBAL_EXPERIMENT = "perso_global";
/** The variation a held-out visitor is reported in. */
export const HOLDOUT = "holdout";
const SCHEMAS = ["ga4", "growthbook"];

/**
 * The `exposure` option (or `data-exposure`: "ga4", "growthbook", "ga4 growthbook") and
 * `onExposure` → `{ ga4, growthbook, onExposure }`, or null when off. `onExposure`
 * alone turns both schemas on.
 */
export function exposureConfig(value, onExposure) {
  const callback = typeof onExposure === "function" ? onExposure : null;
  const words = Array.isArray(value) ? value.map(String) : typeof value === "string" ? value.trim().split(/[\s,]+/).filter(Boolean) : [];
  for (const word of words) {
    if (!SCHEMAS.includes(word)) console.warn(`perso: exposure "${word}" is not one of ${SCHEMAS.join(", ")}; ignored.`);
  }
  const chosen = words.length === 0 && callback ? SCHEMAS : words;
  const config = { ga4: chosen.includes("ga4"), growthbook: chosen.includes("growthbook"), onExposure: callback };
  return config.ga4 || config.growthbook ? config : null;
}

export class Exposures {
  /** `allowed()`: whether exposures may be pushed now (the consent rule above). */
  constructor(win, config, allowed) {
    this.win = win;
    this.config = config;
    this.allowed = allowed;
    this.seen = new Set(); // what was pushed on this page
  }

  /** A client-side route change: a new page, whose exposures count again. */
  newPage() {
    this.seen.clear();
  }

  /** A campaign was rendered (its impression): the promotion's view, and its experiment's variant. */
  impression(placed) {
    if (this.config.ga4) this.#promotion("view_promotion", placed, true);
    if (this.config.growthbook && placed.variant) this.#experiment(placed.campaign, placed.variant);
  }

  /** A click on a campaign's link (or its registration prompt answered). */
  click(placed) {
    if (this.config.ga4) this.#promotion("select_promotion", placed, false);
  }

  /** The visitor was held out of `campaign`'s experiment where it would have shown. */
  heldOut(campaign) {
    if (this.config.growthbook) this.#experiment(campaign, HOLDOUT);
  }

  /** A decision: the bundle's global holdout, when it has one ("holdout" | "personalized"). */
  decided(decision) {
    if (this.config.growthbook && decision.global_holdout) this.#experiment(GLOBAL_EXPERIMENT, decision.global_holdout);
  }

  #promotion(name, placed, once) {
    const item = { promotion_id: placed.campaign, promotion_name: placed.campaign, creative_slot: placed.placement };
    if (placed.variant) item.creative_name = placed.variant;
    const key = once ? `${name}|${placed.campaign}|${placed.variant ?? ""}|${placed.placement}` : null;
    this.#push({ event: name, ecommerce: { items: [item] } }, key);
  }

  #experiment(experiment, variation) {
    this.#push({ event: "experiment_viewed", experiment_id: experiment, variation_id: variation }, `x|${experiment}|${variation}`);
  }

  #push(event, key) {
    if (!this.allowed() || (key !== null && this.seen.has(key))) return;
    if (key !== null) this.seen.add(key);
    if (this.config.onExposure) {
      try {
        this.config.onExposure(event);
      } catch (error) {
        console.warn("perso: the onExposure callback threw", error);
      }
      return;
    }
    const layer = (this.win.dataLayer = this.win.dataLayer || []);
    // Google's advice for ecommerce pushes: clear the previous ecommerce object first,
    // so a tag manager's merged data model does not carry its items into this event.
    if (event.ecommerce) layer.push({ ecommerce: null });
    layer.push(event);
  }
}
