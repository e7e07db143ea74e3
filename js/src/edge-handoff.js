// The browser half of the hand-off with perso's edge worker (docs/edge-deploy.md §1).
// On a page the edge personalized (`<html data-perso-edge>`), the runtime takes the
// visitor state the edge signed (no second page view), keeps the slots the edge
// filled, and reports what happened in the browser (dismissals, clicks, impressions,
// registration answers) and the cart through first-party cookies the edge reads on
// the next page. On pages without an edge it does nothing and writes no cookie.

const STATE = "perso_state";
const CLIENT = "perso_client";
const CART = "perso_cart";
const MAX_CLIENT_EVENTS = 16;
const MAX_CLIENT_BYTES = 2048;
const MAX_CART_BYTES = 2048;
const MAX_CART_ITEMS = 20;
const YEAR_S = 365 * 24 * 3600;

function cookie(doc, name) {
  for (const part of doc.cookie.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function encode(value) {
  const bytes = new TextEncoder().encode(JSON.stringify(value));
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function decode(text) {
  const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(padded), (c) => c.charCodeAt(0))));
}

function write(doc, win, name, value) {
  const secure = win.location.protocol === "https:" ? "; Secure" : "";
  doc.cookie = `${name}=${value}; Path=/; Max-Age=${YEAR_S}; SameSite=Lax${secure}`;
}

/** The bundle serial the edge decided with, or null when the edge did not run. */
export function edgeSerial(doc) {
  const value = doc.documentElement.getAttribute("data-perso-edge");
  return value === null ? null : Number(value);
}

/**
 * The state the edge signed into `perso_state` ({ bytes, ackedMs }: the engine's
 * compact form), or null. The browser cannot check the MAC (it has no key) and need
 * not: it only reads its own visitor's state, and the edge re-verifies whatever
 * comes back.
 */
export function readEdgeState(doc) {
  const text = cookie(doc, STATE);
  if (!text) return null;
  const parts = text.split(".");
  if (parts.length < 3 || parts[0] !== "v1") return null;
  try {
    const { s, acked_ms: ackedMs } = decode(parts[1]);
    if (typeof s !== "string") return null;
    const padded = s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4);
    const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
    return { bytes, ackedMs: Number(ackedMs) || 0 };
  } catch {
    return null;
  }
}

/** Appends an event to `perso_client`, dropping those the edge already applied. */
export function reportToEdge(doc, win, event, ackedMs) {
  let events = [];
  const text = cookie(doc, CLIENT);
  if (text?.startsWith("v1.")) {
    try {
      events = decode(text.slice(3)).events ?? [];
    } catch {
      events = [];
    }
  }
  events = [...events.filter((e) => e && e.at > ackedMs), event].slice(-MAX_CLIENT_EVENTS);
  let value = `v1.${encode({ events })}`;
  while (value.length > MAX_CLIENT_BYTES && events.length > 1) {
    events = events.slice(1);
    value = `v1.${encode({ events })}`;
  }
  write(doc, win, CLIENT, value);
}

/** Writes the cart for the edge's next decision. */
export function shareCart(doc, win, items) {
  const lines = items.slice(0, MAX_CART_ITEMS).map(({ sku, category, price, qty }) => ({ sku, category, price, qty }));
  let value = `v1.${encode({ items: lines })}`;
  while (value.length > MAX_CART_BYTES && lines.length > 0) {
    lines.pop();
    value = `v1.${encode({ items: lines })}`;
  }
  write(doc, win, CART, value);
}
