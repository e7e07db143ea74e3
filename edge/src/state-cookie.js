// The visitor state at the edge: `perso_state`, a first-party cookie the worker signs
// (contract: docs/edge-deploy.md §1.3). Its payload is
//   { "state": <the engine's visitor state, opaque here>, "acked_ms": <watermark of the
//     browser's events>, "kid": <id of the key that signed it>, "iat": <when, ms> }
// all under the MAC. The browser can read it but not change it. `kid` lets a secret
// rotate without resetting visitors; `iat` bounds how old a cookie the worker accepts.
//
// What this can and cannot do against replay: a shopper cannot forge a state or move
// one between cookie names, a cookie signed with a retired key or older than the age
// limit is refused, but a shopper can always present an older cookie of their own
// (within the age limit) or none at all. Caps and dismissals are courtesy to the
// shopper (anti-pestering), not enforcement: money is protected by offers being claims
// that checkout re-checks, with single-use codes for offers that rest on fakeable facts.

import { COOKIE } from "./cookie-jar.js";
import { MAX_ISSUED_AHEAD_MS, MAX_STATE_COOKIE } from "./limits.js";
import { signValue, verifyKeyedValue } from "./signed-value.js";

export { MAX_STATE_COOKIE };

/**
 * `{ state, ackedMs, kid }` from the cookie, `{ error }` when it is present but not
 * usable (the caller starts afresh, or changes nothing), or null when there is none.
 * `keys` from state-keys.js; `maxAgeS` from config (PERSO_STATE_MAX_AGE_DAYS);
 * `readState(payload)` the engine's reader (engine-calls.js readVisitorState), which
 * throws on a state it refuses.
 */
export async function readStateCookie(text, keys, { nowMs, maxAgeS, readState }) {
  if (text === undefined) return null;
  const verified = await verifyKeyedValue(COOKIE.state, text, keys.byKid, MAX_STATE_COOKIE);
  if (verified.error) return { error: verified.error };
  const { state, acked_ms: ackedMs, iat } = verified.value;
  if (typeof iat !== "number" || !Number.isFinite(iat)) return { error: `${COOKIE.state}: iat must be a time in ms` };
  if (iat > nowMs + MAX_ISSUED_AHEAD_MS) return { error: `${COOKIE.state}: issued in the future (${Math.round((iat - nowMs) / 1000)} s ahead)` };
  const ageS = (nowMs - iat) / 1000;
  if (ageS > maxAgeS) return { error: `${COOKIE.state}: issued ${Math.floor(ageS / 86_400)} days ago, over the ${Math.floor(maxAgeS / 86_400)}-day limit` };
  if (typeof ackedMs !== "number" || !Number.isFinite(ackedMs)) return { error: `${COOKIE.state}: acked_ms must be a number` };
  try {
    // The engine enforces the state's version and bounds. A watermark ahead of this
    // request's clock (written before browser times were clamped) is brought back.
    return { state: readState(state), ackedMs: Math.min(ackedMs, nowMs), kid: verified.kid };
  } catch (error) {
    return { error: `${COOKIE.state}: ${error.message}` };
  }
}

/**
 * The cookie value, signed with the first key at `nowMs`; when too long, the state
 * is shrunk with `shrink` (engine-calls.js shrinkVisitorState) until it fits. null when
 * even that does not fit.
 */
export async function writeStateCookie(state, ackedMs, keys, { nowMs, shrink }) {
  const { kid, secret } = keys.signing;
  let current = state;
  while (current !== null) {
    const value = await signValue(COOKIE.state, { state: current, acked_ms: ackedMs, kid, iat: nowMs }, secret);
    if (value.length <= MAX_STATE_COOKIE) return value;
    current = shrink(current);
  }
  return null;
}
