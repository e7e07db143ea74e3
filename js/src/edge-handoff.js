// The browser half of the hand-off with perso's edge worker (docs/edge-deploy.md §1).
// On a page the edge personalized (`<html data-perso-edge>`), the runtime takes the
// visitor state the edge signed (no second page view), keeps the slots the edge
// filled, and reports what happened in the browser (dismissals, clicks, impressions,
// registration answers) and the cart through first-party cookies the edge reads on
// the next page. On pages without an edge it does nothing and writes no cookie.
// The cookies' format is the kit's (kit/cookies.js), the edge's own reader.
import { COOKIE, appendClientEvent, cartValue, cookieString, cookieValue, peekStateCookie } from "./kit/cookies.js";

const YEAR_S = 365 * 24 * 3600;

function write(doc, win, name, value) {
  doc.cookie = cookieString(name, value, { maxAgeS: YEAR_S, secure: win.location.protocol === "https:" });
}

/** The bundle serial the edge decided with, or null when the edge did not run. */
export function edgeSerial(doc) {
  const value = doc.documentElement.getAttribute("data-perso-edge");
  return value === null ? null : Number(value);
}

/** The state the edge signed into `perso_state` ({ bytes, ackedMs }: the engine's compact form), or null. */
export function readEdgeState(doc) {
  return peekStateCookie(cookieValue(doc.cookie, COOKIE.state));
}

/** Appends an event to `perso_client`, dropping those the edge already applied. */
export function reportToEdge(doc, win, event, ackedMs) {
  write(doc, win, COOKIE.client, appendClientEvent(cookieValue(doc.cookie, COOKIE.client), event, ackedMs));
}

/** Writes the cart for the edge's next decision. */
export function shareCart(doc, win, items) {
  write(doc, win, COOKIE.cart, cartValue(items));
}
