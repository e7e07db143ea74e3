// perso-edge/customer-cookie: the store's login helper (WebCrypto only: Node 20+, Deno,
// Bun, workers). Format: docs/edge-deploy.md §1.3.

export interface CustomerProfile {
  first_name?: string;
  ltv_band?: string;
  rfm?: { r?: number; f?: number; m?: number; score?: number };
  segments?: string[];
}

/** The value of `perso_customer` for `profile`, valid until `expiresAtMs`. */
export function mintCustomerCookie(profile: CustomerProfile, secret: string, options: { expiresAtMs: number }): Promise<string>;

/** The `Set-Cookie` header value a store's login handler sends. */
export function customerSetCookie(value: string, options: { expiresAtMs: number; nowMs?: number }): string;

export const MAX_CUSTOMER_COOKIE: number;
