// Types of the perso browser runtime (`import { start } from "perso"`).
// The engine's own types (Decision, Explanation, VisitorState, ...) come from the wasm
// package's perso.d.ts, copied to types/engine.d.ts by the build.
import type { Decision, Explanation } from "./engine.js";

export type { Decision, Explanation, Placed, Action, Trigger, VisitorState, Context } from "./engine.js";

/** A cart line as perso reads it. GA4 items ({item_id, item_category, price, quantity}) are accepted too. */
export interface CartLine { sku: string; category?: string; price?: number; qty?: number }
export interface Ga4Item { item_id: string; item_name?: string; item_category?: string; price?: number; quantity?: number }

/** The known-customer profile the store computed offline (first-party; never sent anywhere by perso). */
export interface CustomerProfile {
  known?: boolean;
  first_name?: string;
  ltv_band?: string;
  rfm?: { r?: number; f?: number; m?: number; score?: number };
  segments?: string[];
}

export interface ChatDetail { campaign: string; variant: string | null; message: string | null; topic: string | null }

/**
 * A consent platform's answers, for perso: call `report(true)` / `report(false)` with the
 * shopper's choice (at once if known, and on every change), `report(null)` while the
 * platform is still asking. May return a function that detaches it.
 */
export type ConsentAdapter = (report: (granted: boolean | null) => void) => void | (() => void);

export interface StartOptions {
  /** Compiled bundle URL (default "/perso/bundle.bin"). Fetched with a plain GET: no cookies, no referrer, no query. */
  bundle?: string;
  /** Detached signature URL (default: bundle URL + ".sig"). */
  signature?: string;
  /** Trusted Ed25519 public key(s): "BASE64" or "kid1:BASE64 kid2:BASE64". Required. */
  key: string;
  /** "required": store nothing and skip consent-gated campaigns until `consent(true)` or Consent Mode grants personalization_storage. */
  consent?: "required" | "implied";
  /** The store's consent platform (one or several); TCF and Shopify's Customer Privacy API are found without it. */
  consentAdapter?: ConsentAdapter | ConsentAdapter[];
  /** false: do not look for IAB TCF (`__tcfapi`) or Shopify's Customer Privacy API on the page. */
  consentPlatforms?: boolean;
  /** ISO 4217 code for prices in recommendation strips (default "USD"). */
  currency?: string;
  /** Largest bundle accepted, in bytes (default 524288). */
  maxBundleBytes?: number;
  /** Show the debug overlay (also `?perso_debug=1`). */
  debug?: boolean;
  /**
   * The store's claim endpoint (same origin; `data-claim-url`): the "Claim" button of an
   * offer POSTs `{campaign, link?, voucher?}` there (docs/offers.md).
   */
  claimUrl?: string;
  /** Called when a chat trigger fires (the `perso:chat` event is raised as well). */
  onChat?: (detail: ChatDetail) => void;
  /** Abort the bundle GET after this many milliseconds (default 10000). */
  fetchTimeoutMs?: number;
  /** URL of the engine's .wasm (default: perso_bg.wasm beside the module, which bundlers emit). */
  wasm?: string;
  /** URL of the full engine's .wasm, loaded only in debug mode (default: perso-full.wasm beside the module). */
  fullWasm?: string;
  /** Preview keys, "preview-kid:BASE64 ...": the only keys a preview link's draft may be signed with (none: previews refused). */
  previewKeys?: string;
  /** Exposure events into the page's analytics (Google tag or dataLayer): true / "all" for both families, or "ga4" / "growthbook". */
  exposure?: boolean | "all" | "ga4" | "growthbook" | "ga4 growthbook" | ("ga4" | "growthbook")[];
  /** Exposure events to this callback instead of the Google tag / dataLayer (turns them on; both families unless `exposure` names one). */
  onExposure?: (event: ExposureEvent) => void;
}

/** A GA4 promotion's parameters (ids only). */
export interface PromotionParams {
  promotion_id: string;
  promotion_name: string;
  creative_slot: string;
  /** The variant, for an experiment's campaign. */
  creative_name?: string;
}

/** An exposure event in the dataLayer form (docs/browser-runtime.md, "Exposure events into your analytics"). */
export type ExposureEvent =
  | { event: "view_promotion" | "select_promotion"; ecommerce: PromotionParams & { items: PromotionParams[] } }
  | { event: "experiment_viewed"; experiment_id: string; variation_id: string };

export interface Perso {
  readonly version: string;
  setCart(items: (CartLine | Ga4Item)[]): void;
  setCustomer(profile: CustomerProfile | null): void;
  /** Grants or withdraws consent to personalization storage (withdrawing erases perso's keys). */
  consent(granted: boolean): void;
  /** Attaches a consent platform's answers after start (prefer the `consentAdapter` option: then nothing is stored before its first answer). */
  consentAdapter(adapter: ConsentAdapter): void;
  /** Store-defined facts for `custom.*` conditions. */
  setCustom(values: Record<string, unknown>): void;
  decision(): Decision | null;
  /** Debug mode only (`?perso_debug=1`): undefined otherwise. */
  explain?(): Promise<Explanation | null>;
  redecide(): void;
  /** Queue form: `perso.push(["setCart", items])`, usable before and after load. */
  push(...commands: [string, ...unknown[]][]): number;
}

/** Starts perso on the page (once). Resolves after the first decision, or with defaults kept on error. */
export function start(options: StartOptions): Promise<Perso>;
export const VERSION: string;
/** start()'s options from a script tag's data attributes. */
export function optionsFromDataset(data: DOMStringMap): StartOptions;

export interface PersoErrorDetail {
  code:
    | "bundle_fetch" | "bundle_too_large" | "bundle_json" | "bundle_invalid" | "bundle_version" | "rollback" | "expired"
    | "signature_invalid" | "signature_mismatch" | "signature_untrusted" | "signature_unsupported"
    | "key_missing" | "key_invalid" | "wasm_load" | "engine_trap" | "storage_unavailable" | "context_invalid" | "internal";
  message: string;
}
export interface PersoIdsDetail { campaign: string; variant: string | null; placement: string }
export interface PersoDecisionDetail {
  serial: number;
  placements: { placement: string; campaign: string; variant: string | null }[];
  holdouts: string[];
}

declare global {
  interface DocumentEventMap {
    "perso:decision": CustomEvent<PersoDecisionDetail>;
    "perso:impression": CustomEvent<PersoIdsDetail>;
    "perso:click": CustomEvent<PersoIdsDetail>;
    "perso:dismiss": CustomEvent<PersoIdsDetail>;
    "perso:chat": CustomEvent<ChatDetail>;
    "perso:claim": CustomEvent<PersoIdsDetail>;
    "perso:error": CustomEvent<PersoErrorDetail>;
  }
  interface Window {
    perso: Perso | [string, ...unknown[]][];
  }
}
