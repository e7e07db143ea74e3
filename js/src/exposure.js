// Exposure events into the store's own analytics (opt-in: `data-exposure` / the
// `exposure` and `onExposure` options; docs/browser-runtime.md, "Exposure events into
// your analytics"). perso sends nothing itself: it hands standard events to the page's
// own tag — `gtag("event", ...)` when the page defines `window.gtag` (Google tag),
// else a push into the first-party `window.dataLayer` (created if absent) that the
// store's tag manager forwards like any other — or to the store's `onExposure(event)`
// instead. Two families, both on unless the option names one:
//   "ga4":        view_promotion when a campaign is rendered, select_promotion on a click;
//   "growthbook": experiment_viewed {experiment_id, variation_id} (GrowthBook's warehouse
//                 exposure, what `perso report` reads: docs/report.md) when a visitor is
//                 exposed to an experiment's variant, held out of it (variation
//                 "holdout"), or is in or out of the bundle's global holdout (experiment
//                 "perso_global", variation "holdout" or "personalized").
// Once per impression per page. Ids only (campaign, variant, placement), never a
// context value, segment or rule; and nothing at all unless the runtime's `allowed()`
// says so (perso may keep state: consent not denied, not still required, no Global
// Privacy Control; analytics consent not denied; never in a preview).

/** The experiment id of the bundle's global holdout. */
export const GLOBAL_EXPERIMENT = "perso_global";
/** The variation a held-out visitor is reported in. */
export const HOLDOUT = "holdout";
const SCHEMAS = ["ga4", "growthbook"];

/**
 * The `exposure` option (or `data-exposure`: empty, "true" or "all" for both families,
 * else "ga4", "growthbook" or both words) and `onExposure` → `{ ga4, growthbook,
 * onExposure }`, or null when off ("false", "off", or no option and no callback).
 */
export function exposureConfig(value, onExposure) {
  const callback = typeof onExposure === "function" ? onExposure : null;
  let words;
  if (value === true || value === "" || value === "true" || value === "all" || ((value === undefined || value === null) && callback)) words = SCHEMAS;
  else if (Array.isArray(value)) words = value.map(String);
  else if (typeof value === "string") words = value.trim().split(/[\s,]+/).filter(Boolean);
  else words = [];
  if (words.length === 1 && (words[0] === "false" || words[0] === "off")) return null;
  for (const word of words) {
    if (!SCHEMAS.includes(word)) console.warn(`perso: exposure "${word}" is not one of ${SCHEMAS.join(", ")}; ignored.`);
  }
  const config = { ga4: words.includes("ga4"), growthbook: words.includes("growthbook"), onExposure: callback };
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
    // GA4's promotion parameters at the event's level and on its one item (GA4 reads
    // either; `perso report` the event's `promotion_id`, else the first item's).
    const promotion = { promotion_id: placed.campaign, promotion_name: placed.campaign, creative_slot: placed.placement };
    if (placed.variant) promotion.creative_name = placed.variant;
    const key = once ? `${name}|${placed.campaign}|${placed.variant ?? ""}|${placed.placement}` : null;
    this.#send(name, { ...promotion, items: [{ ...promotion }] }, true, key);
  }

  #experiment(experiment, variation) {
    this.#send("experiment_viewed", { experiment_id: experiment, variation_id: variation }, false, `x|${experiment}|${variation}`);
  }

  /** One event to the store's callback, its Google tag, or its dataLayer (key: once per page). */
  #send(name, params, ecommerce, key) {
    if (!this.allowed() || (key !== null && this.seen.has(key))) return;
    if (key !== null) this.seen.add(key);
    // The dataLayer form, as Google documents it for tag managers: ecommerce events
    // carry their parameters under `ecommerce`, others at the top level.
    const event = ecommerce ? { event: name, ecommerce: params } : { event: name, ...params };
    try {
      if (this.config.onExposure) this.config.onExposure(event);
      else if (typeof this.win.gtag === "function") this.win.gtag("event", name, params);
      else {
        const layer = (this.win.dataLayer = this.win.dataLayer || []);
        // Google's advice for ecommerce pushes: clear the previous ecommerce object
        // first, so a tag manager's merged data model does not carry its items over.
        if (ecommerce) layer.push({ ecommerce: null });
        layer.push(event);
      }
    } catch (error) {
      console.warn("perso: handing an exposure event to the page's analytics threw", error);
    }
  }
}
