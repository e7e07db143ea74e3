// `perso_cart`: the cart lines, written by the store's server or by the browser
// runtime, so the edge can follow the cart on the next page. Unsigned: cart facts
// choose recommendations; money is re-checked at checkout (engine.checkOffer).

import { COOKIE } from "./cookie-jar.js";
import { MAX_CART_COOKIE } from "./limits.js";
import { readUnsignedValue } from "./signed-value.js";

export { MAX_CART_COOKIE };
export const MAX_CART_ITEMS = 20;

/** `{ cart }` (context.cart), `{ error }`, or null when absent. */
export function readCartCookie(text) {
  if (text === undefined) return null;
  const read = readUnsignedValue(COOKIE.cart, text, MAX_CART_COOKIE);
  if (read.error) return { error: read.error };
  const items = read.value?.items;
  if (!Array.isArray(items)) return { error: `${COOKIE.cart}: items must be an array` };
  if (items.length > MAX_CART_ITEMS) return { error: `${COOKIE.cart}: ${items.length} items, over the ${MAX_CART_ITEMS} limit` };
  const lines = [];
  for (const [index, item] of items.entries()) {
    const where = `${COOKIE.cart}: items[${index}]`;
    if (!item || typeof item.sku !== "string" || item.sku.length === 0 || item.sku.length > 64) return { error: `${where}.sku must be text` };
    const line = { sku: item.sku };
    if (item.category !== undefined) {
      if (typeof item.category !== "string" || item.category.length > 64) return { error: `${where}.category must be text` };
      line.category = item.category;
    }
    if (item.price !== undefined) {
      if (typeof item.price !== "number" || !(item.price >= 0)) return { error: `${where}.price must be a number >= 0` };
      line.price = item.price;
    }
    if (item.qty !== undefined) {
      if (!Number.isInteger(item.qty) || item.qty < 1 || item.qty > 999) return { error: `${where}.qty must be an integer 1-999` };
      line.qty = item.qty;
    }
    lines.push(line);
  }
  return { cart: { items: lines } };
}
