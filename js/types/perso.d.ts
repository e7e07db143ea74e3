// Types of the perso browser runtime (`import { start } from "perso"`).
// The engine's own types (Decision, Explanation, VisitorState, ...) come from the wasm
// package's perso.d.ts, shipped in pkg/.
import type { Decision, Explanation } from "../src/pkg/perso.js";

export type { Decision, Explanation, Placed, Action, Trigger, VisitorState, Context } from "../src/pkg/perso.js";

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

export interface StartOptions {
  /** Bundle URL (default "/perso/bundle.json"). Fetched with a plain GET: no cookies, no referrer, no query. */
  bundle?: string;
  /** Detached signature URL (default: bundle URL + ".sig"). */
  signature?: string;
  /** Trusted Ed25519 public key(s): "BASE64" or "kid1:BASE64 kid2:BASE64". Required. */
  key: string;
  /** "required": store nothing and skip consent-gated campaigns until `consent(true)` or Consent Mode grants personalization_storage. */
  consent?: "required" | "implied";
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
  /** URLs of the wasm-bindgen glue and the .wasm (default: ./pkg/ next to the runtime). */
  glue?: string;
  wasm?: string;
}

export interface Perso {
  readonly version: string;
  setCart(items: (CartLine | Ga4Item)[]): void;
  setCustomer(profile: CustomerProfile | null): void;
  /** Grants or withdraws consent to personalization storage (withdrawing erases perso's keys). */
  consent(granted: boolean): void;
  /** Store-defined facts for `custom.*` conditions. */
  setCustom(values: Record<string, unknown>): void;
  decision(): Decision | null;
  explain(): Explanation | null;
  redecide(): void;
  /** Queue form: `perso.push(["setCart", items])`, usable before and after load. */
  push(...commands: [string, ...unknown[]][]): number;
}

/** Starts perso on the page (once). Resolves after the first decision, or with defaults kept on error. */
export function start(options: StartOptions): Promise<Perso>;
export const VERSION: string;

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
