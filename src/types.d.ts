/** What the host knows about the page; see docs/api.md. Every field is optional. */
export interface Context {
  page?: {
    url?: string; path?: string; type?: "home" | "category" | "product" | "cart" | "checkout" | "other" | string;
    referrer?: string; referrer_host?: string;
    utm?: { source?: string; medium?: string; campaign?: string; term?: string; content?: string };
  };
  cart?: { items?: CartItem[]; total?: number; count?: number };
  customer?: {
    known?: boolean; first_name?: string; ltv_band?: string;
    rfm?: { r?: number; f?: number; m?: number; score?: number }; segments?: string[];
  };
  device?: { type?: "desktop" | "mobile" | "tablet" | string; language?: string };
  time?: { hour?: number; weekday?: number };
  consent?: { personalization?: boolean; gpc?: boolean };
  custom?: Record<string, unknown>;
}

export interface CartItem { sku: string; category?: string; price?: number; qty?: number }

/** Kept by the host on the device (localStorage, a first-party cookie); opaque but JSON. */
export interface VisitorState {
  v: number; id: string; visits: number; prev_ms?: number;
  session: {
    start_ms: number; last_ms: number; pages: number; ref_host?: string;
    utm?: { source?: string; medium?: string; campaign?: string; term?: string; content?: string };
    interruptions: number; last_interruption_ms?: number;
  };
  campaigns?: { id: string; s: number; t: number; last_ms: number; dismissed_ms?: number; clicks: number }[];
  interests?: string[]; registered: boolean;
}

export interface PageViewInfo {
  referrer_host?: string;
  utm?: { source?: string; medium?: string; campaign?: string; term?: string; content?: string };
}

export type Trigger =
  | { on: "now" } | { on: "dwell"; seconds: number } | { on: "idle"; seconds: number }
  | { on: "scroll"; percent: number } | { on: "exit_intent" } | { on: "add_to_cart" };

export interface Link { label: string; url: string }
export interface Product { sku: string; name: string; price?: number; url: string; image?: string }

/** How an offer is redeemed (docs/offers.md): a claim, by the checkout itself, a literal code, or not at all. */
export type Redeem = "claim" | "checkout" | "code" | "none";
/** What the checkout applies. */
export type Benefit = { kind: "percent_off"; percent: number } | { kind: "amount_off"; amount: number } | { kind: "free_shipping" };

export type Action =
  | { kind: "banner"; title: string; body?: string; image?: string; cta?: Link }
  | { kind: "offer"; title: string; body?: string; code?: string; single_use: boolean; redeem: Redeem; benefit?: Benefit;
      display: "toast" | "modal"; expires_in_s?: number; terms?: string; cta?: Link }
  | { kind: "recommend"; title: string; items: Product[] }
  | { kind: "welcome"; text: string }
  | { kind: "register"; title: string; body?: string; submit_label: string; reward?: { text: string; code?: string; redeem: Redeem; benefit?: Benefit };
      questions: { id: string; label: string; multiple: boolean; options: { value: string; label: string }[] }[] }
  | { kind: "chat"; message?: string; topic?: string };

export interface Placed {
  placement: string; campaign: string; variant?: string; interruption: boolean;
  trigger: Trigger; action: Action; why: string;
}

export interface Decision {
  serial: number; placements: Placed[]; holdouts?: string[]; recheck_at_ms?: number;
  /** With a bundle `holdout`: whether this visitor is in it ("holdout": nothing shown) or not. */
  global_holdout?: "holdout" | "personalized";
  over_budget?: string[];
}

export interface FailedCondition { path: string; rule: unknown }
export type Exclusion =
  | { kind: "disabled" } | { kind: "consent" } | { kind: "holdout" }
  | { kind: "schedule"; detail: string } | { kind: "cap"; detail: string } | { kind: "guardrail"; detail: string }
  | { kind: "nothing_to_show"; detail: string }
  | { kind: "segment"; segment: string; failed: FailedCondition }
  | { kind: "condition"; failed: FailedCondition };

export interface Explanation {
  serial: number;
  campaigns: ({ campaign: string; placement: string; priority: number } &
    ({ outcome: "won"; variant?: string } | { outcome: "lost"; to: string } | { outcome: "excluded"; reason: Exclusion }))[];
}

/** Errors thrown by perso are `Error`s with these extra fields. */
export interface PersoError extends Error {
  code: "bundle_invalid" | "bundle_json" | "bundle_version" | "bundle_too_large" | "rollback" | "expired"
      | "context_invalid" | "state_invalid" | "rule_invalid" | "internal";
  path: string | null;
  errors?: { path: string; message: string }[];
}
