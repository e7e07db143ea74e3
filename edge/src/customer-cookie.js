// The known-customer profile: `perso_customer`, set by the store at login and signed
// with the store's secret (PERSO_CUSTOMER_KEY), so a shopper cannot promote themself
// to another value tier. `mintCustomerCookie` is the store's helper (WebCrypto only:
// Node 20+, Deno, Bun, workers); the format is in docs/edge-deploy.md §1.3.

import { COOKIE, cookieString, signValue, verifyValue } from "../../js/src/kit/cookies.js";
import { MAX_CUSTOMER_COOKIE } from "./limits.js";

export { MAX_CUSTOMER_COOKIE };
const MAX_TEXT = 64;
const MAX_SEGMENTS = 16;

/** The value of `perso_customer` for `profile`, valid until `expiresAtMs`. */
export async function mintCustomerCookie(profile, secret, { expiresAtMs }) {
  if (!secret) throw new Error("mintCustomerCookie: the store secret is empty");
  if (!Number.isFinite(expiresAtMs)) throw new Error("mintCustomerCookie: expiresAtMs must be a time in ms since the epoch");
  const checked = customerFromProfile({ ...profile, known: true, exp: expiresAtMs }, -Infinity);
  if (checked.error) throw new Error(`mintCustomerCookie: ${checked.error}`);
  return signValue(COOKIE.customer, { ...checked.customer, exp: expiresAtMs }, secret);
}

/** The `Set-Cookie` header value a store's login handler sends. */
export function customerSetCookie(value, { expiresAtMs, nowMs = Date.now() }) {
  const maxAge = Math.max(0, Math.floor((expiresAtMs - nowMs) / 1000));
  return cookieString(COOKIE.customer, value, { maxAgeS: maxAge, secure: true, httpOnly: true });
}

/** `{ customer }` (context.customer), `{ error }`, or null when absent. */
export async function readCustomerCookie(text, secret, nowMs) {
  if (text === undefined) return null;
  if (!secret) return { error: `${COOKIE.customer}: PERSO_CUSTOMER_KEY is not configured` };
  const verified = await verifyValue(COOKIE.customer, text, secret, MAX_CUSTOMER_COOKIE);
  if (verified.error) return { error: verified.error };
  return customerFromProfile(verified.value, nowMs);
}

const text = (value) => typeof value === "string" && value.length <= MAX_TEXT;
const number = (value) => typeof value === "number" && Number.isFinite(value);

function customerFromProfile(profile, nowMs) {
  if (!profile || typeof profile !== "object" || Array.isArray(profile)) return { error: `${COOKIE.customer}: payload must be an object` };
  if (!number(profile.exp)) return { error: `${COOKIE.customer}: exp must be a time in ms` };
  if (profile.exp <= nowMs) return { error: `${COOKIE.customer}: expired` };
  if (profile.known !== true) return { error: `${COOKIE.customer}: known must be true` };
  const customer = { known: true };
  if (profile.first_name !== undefined) {
    if (!text(profile.first_name)) return { error: `${COOKIE.customer}: first_name must be text of at most ${MAX_TEXT} characters` };
    customer.first_name = profile.first_name;
  }
  if (profile.ltv_band !== undefined) {
    if (!text(profile.ltv_band)) return { error: `${COOKIE.customer}: ltv_band must be text` };
    customer.ltv_band = profile.ltv_band;
  }
  if (profile.rfm !== undefined) {
    const rfm = {};
    for (const key of ["r", "f", "m", "score"]) {
      const value = profile.rfm?.[key];
      if (value === undefined) continue;
      if (!number(value)) return { error: `${COOKIE.customer}: rfm.${key} must be a number` };
      rfm[key] = value;
    }
    customer.rfm = rfm;
  }
  if (profile.segments !== undefined) {
    if (!Array.isArray(profile.segments) || profile.segments.length > MAX_SEGMENTS || !profile.segments.every(text)) {
      return { error: `${COOKIE.customer}: segments must be at most ${MAX_SEGMENTS} texts` };
    }
    customer.segments = profile.segments;
  }
  return { customer };
}
