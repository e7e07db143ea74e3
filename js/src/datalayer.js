// Reads the GA4 ecommerce events a store already pushes, in both forms:
//   dataLayer.push({ event: "add_to_cart", ecommerce: { items: [...] } })
//   gtag("event", "add_to_cart", { items: [...] })   (pushes ["event", name, params])
// and Google Consent Mode's `personalization_storage`. Events pushed before perso
// loaded are read first; later pushes are observed by wrapping `dataLayer.push`.

const CART_EVENTS = new Set(["add_to_cart", "remove_from_cart", "view_cart", "purchase"]);
const MAX_CART_LINES = 50;

/** GA4 item -> perso cart line; null when it has no id. */
export function cartLineFromGa4(item) {
  if (!item || typeof item !== "object") return null;
  const sku = item.item_id ?? item.id;
  if (sku === undefined || sku === null || sku === "") return null;
  const line = { sku: String(sku).slice(0, 64) };
  const category = item.item_category ?? item.category;
  if (typeof category === "string" && category) line.category = category.slice(0, 64);
  const price = Number(item.price);
  if (Number.isFinite(price) && price >= 0) line.price = price;
  const qty = Number(item.quantity ?? item.qty ?? 1);
  line.qty = Number.isFinite(qty) && qty > 0 ? Math.min(Math.floor(qty), 999) : 1;
  return line;
}

/** Applies one cart event to `items` (a new array is returned). */
export function applyCartEvent(items, name, params) {
  const lines = (Array.isArray(params?.items) ? params.items : []).map(cartLineFromGa4).filter(Boolean);
  switch (name) {
    case "purchase":
      return [];
    case "view_cart":
      return lines.slice(0, MAX_CART_LINES);
    case "add_to_cart": {
      const next = items.map((line) => ({ ...line }));
      for (const line of lines) {
        const existing = next.find((l) => l.sku === line.sku);
        if (existing) existing.qty = Math.min(existing.qty + line.qty, 999);
        else if (next.length < MAX_CART_LINES) next.push(line);
      }
      return next;
    }
    case "remove_from_cart": {
      let next = items.map((line) => ({ ...line }));
      for (const line of lines) {
        const existing = next.find((l) => l.sku === line.sku);
        if (!existing) continue;
        existing.qty -= line.qty;
        if (existing.qty <= 0) next = next.filter((l) => l !== existing);
      }
      return next;
    }
    default:
      return items;
  }
}

/** Normalizes a dataLayer entry to `{ kind: "event"|"consent", name, params }` or null. */
export function readEntry(entry) {
  if (!entry || typeof entry !== "object") return null;
  // gtag pushes its `arguments` object: array-like, not an Array.
  if (typeof entry.length === "number" && typeof entry[0] === "string") {
    const [command, name, params] = Array.from(entry);
    if (command === "event") return { kind: "event", name, params: params ?? {} };
    if (command === "consent" && (name === "default" || name === "update")) return { kind: "consent", name, params: params ?? {} };
    return null;
  }
  if (typeof entry.event === "string") return { kind: "event", name: entry.event, params: entry.ecommerce ?? {} };
  return null;
}

/**
 * Reads entries already in `dataLayer`, then observes new pushes.
 * `onCart(name, params)` for cart events, `onConsent(granted)` for personalization_storage,
 * `onAnalyticsConsent(granted)` for analytics_storage (exposure events: exposure.js).
 */
export function observeDataLayer(win, { onCart, onConsent, onAnalyticsConsent = () => {} }) {
  const layer = (win.dataLayer = Array.isArray(win.dataLayer) ? win.dataLayer : []);
  const handle = (entry) => {
    const read = readEntry(entry);
    if (!read) return;
    if (read.kind === "event" && CART_EVENTS.has(read.name)) onCart(read.name, read.params);
    if (read.kind === "consent" && typeof read.params.personalization_storage === "string") {
      onConsent(read.params.personalization_storage === "granted", read.name);
    }
    if (read.kind === "consent" && typeof read.params.analytics_storage === "string") {
      onAnalyticsConsent(read.params.analytics_storage === "granted");
    }
  };
  for (const entry of layer) handle(entry);
  const originalPush = layer.push;
  layer.push = function pushObservedByPerso(...entries) {
    const result = originalPush.apply(this, entries);
    for (const entry of entries) {
      try {
        handle(entry);
      } catch {
        // A malformed store event must never break the store's own push.
      }
    }
    return result;
  };
}
