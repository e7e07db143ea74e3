// The visitor state at the edge: `perso_state`, a first-party cookie the worker signs
// (contract: docs/edge-deploy.md §1.3; format: js/src/kit/cookies.js, which the
// browser runtime reads with). Its payload is
//   { "s": <the engine's compact visitor state, base64url>, "acked_ms": <watermark of
//     the browser's events>, "kid": <id of the key that signed it>, "iat": <when, ms> }
// all under the MAC. The browser can read it but not change it. `kid` lets a secret
// rotate without resetting visitors; `iat` bounds how old a cookie the worker accepts.
//
// What this can and cannot do against replay: a shopper cannot forge a state or move
// one between cookie names, a cookie signed with a retired key or older than the age
// limit is refused, but a shopper can always present an older cookie of their own
// (within the age limit) or none at all. Caps and dismissals are courtesy to the
// shopper (anti-pestering), not enforcement: money is protected by offers being claims
// that checkout re-checks, with single-use codes for offers that rest on fakeable facts.

import { COOKIE, readStatePayload, signValue, stateBudget, statePayload, verifyKeyedValue } from "../../js/src/kit/index.js";
import { MAX_ISSUED_AHEAD_MS, MAX_STATE_COOKIE } from "./limits.js";

export { MAX_STATE_COOKIE };

/**
 * `{ bytes, ackedMs, kid }` from the cookie (the state's compact bytes, for the
 * engine to read), `{ error }` when it is present but not usable (the caller starts
 * afresh, or changes nothing), or null when there is none. `keys` from state-keys.js;
 * `maxAgeS` from config (PERSO_STATE_MAX_AGE_DAYS).
 */
export async function readStateCookie(text, keys, { nowMs, maxAgeS }) {
  if (text === undefined) return null;
  const verified = await verifyKeyedValue(COOKIE.state, text, keys.byKid, MAX_STATE_COOKIE);
  if (verified.error) return { error: verified.error };
  const read = readStatePayload(verified.value);
  if (read.error) return read;
  if (read.iat > nowMs + MAX_ISSUED_AHEAD_MS) return { error: `${COOKIE.state}: issued in the future (${Math.round((read.iat - nowMs) / 1000)} s ahead)` };
  const ageS = (nowMs - read.iat) / 1000;
  if (ageS > maxAgeS) return { error: `${COOKIE.state}: issued ${Math.floor(ageS / 86_400)} days ago, over the ${Math.floor(maxAgeS / 86_400)}-day limit` };
  // A watermark ahead of this request's clock (written before browser times were
  // clamped) is brought back.
  return { bytes: read.bytes, ackedMs: Math.min(read.ackedMs, nowMs), kid: verified.kid };
}

/**
 * The cookie value, signed with the first key at `nowMs`. `stateWithin(budget)` gives
 * the compact state within `budget` bytes (engine-calls.js visitorBytes: the engine
 * drops campaign records to fit); null when even that does not fit.
 */
export async function writeStateCookie(stateWithin, ackedMs, keys, { nowMs }) {
  const { kid, secret } = keys.signing;
  const bytes = stateWithin(stateBudget({ kid, ackedMs, iat: nowMs }, MAX_STATE_COOKIE));
  if (!bytes) return null;
  const value = await signValue(COOKIE.state, statePayload({ bytes, ackedMs, kid, iat: nowMs }), secret);
  return value.length <= MAX_STATE_COOKIE ? value : null;
}
