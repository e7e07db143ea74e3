// `perso_client`: what happened in the browser since the edge last saw the visitor
// (dismissals, clicks, impressions of what the browser rendered, registration
// answers), folded into the signed state on the next page. Unsigned by design:
// nothing in it can grant anything (docs/edge-deploy.md §1.3).

import { COOKIE } from "./cookie-jar.js";
import { MAX_CLIENT_COOKIE } from "./limits.js";
import { readUnsignedValue } from "./signed-value.js";

export { MAX_CLIENT_COOKIE };
export const MAX_CLIENT_EVENTS = 16;
const MAX_ID = 64;
const MAX_INTERESTS = 12;
const KINDS = new Set(["dismiss", "click", "impression", "register"]);

/** `{ events }` (valid ones, sorted by time) or `{ error }`; null when absent. */
export function readClientEvents(text, campaignIds) {
  if (text === undefined) return null;
  const read = readUnsignedValue(COOKIE.client, text, MAX_CLIENT_COOKIE);
  if (read.error) return { error: read.error };
  const events = read.value?.events;
  if (!Array.isArray(events)) return { error: `${COOKIE.client}: events must be an array` };
  if (events.length > MAX_CLIENT_EVENTS) return { error: `${COOKIE.client}: ${events.length} events, over the ${MAX_CLIENT_EVENTS} limit` };
  const valid = [];
  for (const event of events) {
    if (!event || !KINDS.has(event.t) || typeof event.at !== "number" || !Number.isFinite(event.at)) continue;
    if (event.t === "register") {
      if (!Array.isArray(event.interests) || event.interests.length > MAX_INTERESTS) continue;
      const interests = event.interests.filter((i) => typeof i === "string" && i.length > 0 && i.length <= MAX_ID);
      valid.push({ t: "register", interests, at: event.at });
    } else if (typeof event.c === "string" && campaignIds.has(event.c)) {
      valid.push({ t: event.t, c: event.c, at: event.at });
    }
  }
  valid.sort((a, b) => a.at - b.at);
  return { events: valid };
}

/**
 * Applies the events newer than `ackedMs`; returns the new state and watermark.
 * Event times are the browser's clock, which the worker cannot trust: each is applied
 * at `min(at, nowMs)` and the watermark never goes past `nowMs`, so one event stamped
 * in the far future cannot hide every later event (they would all be "older"). The
 * price: an event a fast browser clock stamped ahead of the request is applied again
 * on later pages until the request's clock passes it (idempotent for dismissals and
 * registrations; impressions and clicks then count more than once, so caps only hold
 * sooner).
 *
 * `apply(state, event, atMs)` folds one event in (engine-calls.js applyBrowserEvent).
 */
export function applyClientEvents(events, state, ackedMs, nowMs, apply) {
  let current = state;
  const applied = Math.min(ackedMs, nowMs);
  let watermark = applied;
  for (const event of events) {
    if (event.at <= applied) continue;
    const at = Math.min(event.at, nowMs);
    current = apply(current, event, at);
    watermark = Math.max(watermark, at);
  }
  return { state: current, ackedMs: watermark };
}
