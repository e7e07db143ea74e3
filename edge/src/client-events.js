// `perso_client`: what happened in the browser since the edge last saw the visitor
// (dismissals, clicks, impressions of what the browser rendered, registration
// answers), folded into the signed state on the next page. Unsigned by design:
// nothing in it can grant anything (docs/edge-deploy.md §1.3).

import { COOKIE } from "./cookie-jar.js";
import { readUnsignedValue } from "./signed-value.js";

export const MAX_CLIENT_COOKIE = 2048;
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
 * Event times are the browser's clock; they are capped at `nowMs` so a fast clock
 * cannot schedule a dismissal in the future.
 */
export function applyClientEvents(events, state, ackedMs, nowMs, engine, perso) {
  let current = state;
  let watermark = ackedMs;
  for (const event of events) {
    if (event.at <= ackedMs) continue;
    const at = Math.min(event.at, nowMs);
    if (event.t === "dismiss") current = engine.recordDismissal(current, event.c, at);
    else if (event.t === "click") current = engine.recordClick(current, event.c, at);
    else if (event.t === "impression") current = engine.recordImpression(current, event.c, at);
    else current = perso.register(current, event.interests, at);
    watermark = Math.max(watermark, event.at);
  }
  return { state: current, ackedMs: watermark };
}
