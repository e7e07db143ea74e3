// The visitor state at the edge: the engine's VisitorState inside `perso_state`, a
// first-party cookie signed with the worker secret PERSO_STATE_KEY (contract:
// docs/edge-deploy.md §1.3). The browser can read it but not change it.

import { COOKIE } from "./cookie-jar.js";
import { signValue, verifyValue } from "./signed-value.js";

/** Whole cookie value, kept under the 4 KB browsers allow per cookie with attributes. */
export const MAX_STATE_COOKIE = 3800;
export const STATE_MAX_AGE_S = 365 * 24 * 3600;

/**
 * `{ state, ackedMs }` from the cookie, `{ error }` when it is present but unusable
 * (the caller starts afresh), or null when there is none.
 */
export async function readStateCookie(text, secret, parseVisitorState) {
  if (text === undefined) return null;
  const verified = await verifyValue(COOKIE.state, text, secret, MAX_STATE_COOKIE);
  if (verified.error) return { error: verified.error };
  const { state, acked_ms: ackedMs } = verified.value ?? {};
  if (typeof ackedMs !== "number" || !Number.isFinite(ackedMs)) return { error: `${COOKIE.state}: acked_ms must be a number` };
  try {
    // The engine enforces the state's version and bounds.
    return { state: parseVisitorState(JSON.stringify(state)), ackedMs };
  } catch (error) {
    return { error: `${COOKIE.state}: ${error.message}` };
  }
}

/**
 * The signed cookie value; when too long, drops the least recently touched campaign
 * records, those without a dismissal first (forgetting a dismissal would show the
 * shopper an offer they closed).
 */
export async function writeStateCookie(state, ackedMs, secret) {
  let current = state;
  for (;;) {
    const value = await signValue(COOKIE.state, { state: current, acked_ms: ackedMs }, secret);
    const records = current.campaigns ?? [];
    if (value.length <= MAX_STATE_COOKIE || records.length === 0) {
      return value.length <= MAX_STATE_COOKIE ? value : null;
    }
    const evictable = [...records].sort(
      (a, b) => Number(a.dismissed_ms !== undefined) - Number(b.dismissed_ms !== undefined) || a.last_ms - b.last_ms,
    );
    const dropCount = Math.max(1, Math.ceil(records.length / 8));
    const dropped = new Set(evictable.slice(0, dropCount));
    current = { ...current, campaigns: records.filter((record) => !dropped.has(record)) };
  }
}
