// perso on Shopify (`perso/shopify`, and `perso-shopify.js` in the theme app
// extension, integrations/shopify/): starts perso from its own script tag's data
// attributes and feeds it the store's cart.
//
// The cart comes from Shopify's Ajax API: `GET {routes.root}cart.js` (same origin,
// the shopper's own cart, the request the theme itself makes) on start and after
// every cart change: the theme's `fetch` calls to /cart/add, /cart/change,
// /cart/update and /cart/clear (observed, never altered), and the cart events themes
// dispatch (`cart:updated`, `cart:change`, `cart:refresh`, or `perso:cart-changed`
// from the store's own code). Lines become perso cart lines: sku (the variant's SKU,
// else its id), category (the product type), unit price (final_price, in the store's
// currency units), qty. Nothing is sent anywhere: the cart goes into the engine.
//
// Consent comes from Shopify's Customer Privacy API (consent.js finds it); the
// known-customer profile from the `#perso-customer` JSON the app embed renders.
import { start, optionsFromDataset } from "./perso.js";

const CART_MUTATION = /\/cart\/(add|change|update|clear)(\.js)?$/;
const CART_EVENTS = ["cart:updated", "cart:change", "cart:refresh", "perso:cart-changed"];

/** Shopify cart JSON (`/cart.js`) -> perso cart lines. `key`: which id is the sku ("sku", "variant_id", "product_id", "handle"). */
export function cartLinesFromShopify(cart, { key = "sku" } = {}) {
  const items = Array.isArray(cart?.items) ? cart.items : [];
  const lines = [];
  for (const item of items) {
    const id = (key === "sku" ? item.sku : item[key]) || item.variant_id || item.id;
    if (id === undefined || id === null || id === "") continue;
    const cents = Number(item.final_price ?? item.price);
    const line = { sku: String(id), qty: Number(item.quantity) || 1 };
    if (typeof item.product_type === "string" && item.product_type) line.category = item.product_type;
    if (Number.isFinite(cents) && cents >= 0) line.price = cents / 100;
    lines.push(line);
  }
  return lines;
}

/**
 * Keeps `perso`'s cart equal to Shopify's: reads `/cart.js` now and after every cart
 * change. Returns a function that stops watching.
 */
export function watchShopifyCart(win, perso, { key = "sku" } = {}) {
  const root = win.Shopify?.routes?.root ?? "/";
  const cartUrl = new URL(`${root.endsWith("/") ? root : `${root}/`}cart.js`, win.location.href).href;
  const nativeFetch = win.fetch;
  let generation = 0;
  let timer = null;
  const read = async () => {
    const mine = ++generation;
    try {
      const response = await nativeFetch.call(win, cartUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok || mine !== generation) return;
      const cart = await response.json();
      if (mine === generation) perso.setCart(cartLinesFromShopify(cart, { key }));
    } catch {
      // Offline or a theme-specific cart: perso keeps the cart it has.
    }
  };
  const refresh = () => {
    win.clearTimeout(timer);
    timer = win.setTimeout(read, 50); // one read for a burst of changes
  };
  win.fetch = function fetchObservedByPerso(input, init) {
    const result = nativeFetch.apply(this, arguments);
    try {
      const url = new URL(typeof input === "string" || input instanceof URL ? input : input.url, win.location.href);
      const method = (init?.method ?? (typeof input === "object" && "method" in input ? input.method : "GET")).toUpperCase();
      if (method === "POST" && url.origin === win.location.origin && CART_MUTATION.test(url.pathname)) {
        result.then((response) => response.ok && refresh(), () => {});
      }
    } catch {
      // An unusual request: the store's fetch goes on untouched.
    }
    return result;
  };
  for (const type of CART_EVENTS) win.document.addEventListener(type, refresh);
  read();
  return () => {
    if (win.fetch === fetchObservedByPerso) win.fetch = nativeFetch;
    for (const type of CART_EVENTS) win.document.removeEventListener(type, refresh);
    win.clearTimeout(timer);
  };
}

/** The script tag that loaded this module (the app embed renders it with perso's data attributes). */
function ownScriptTag() {
  if (typeof document === "undefined") return null;
  for (const script of document.querySelectorAll("script[type=module][src]")) {
    if (script.src === import.meta.url && "bundle" in script.dataset) return script;
  }
  return null;
}

/** perso's pre-load queue: calls made before start() resolved are replayed in order, later ones go straight to the API. */
const viaQueue = {
  setCart(lines) {
    globalThis.perso = globalThis.perso || [];
    globalThis.perso.push(["setCart", lines]);
  },
};

const tag = ownScriptTag();
if (tag) {
  // The cart is read while the engine compiles, so the first decision has it.
  watchShopifyCart(globalThis, viaQueue, { key: tag.dataset.cartKey || "sku" });
  start(optionsFromDataset(tag.dataset)).catch((error) => console.warn("perso: start failed", error));
}
