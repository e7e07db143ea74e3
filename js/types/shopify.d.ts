// Types of perso's Shopify adapter (`import { watchShopifyCart } from "perso/shopify"`).
import type { CartLine } from "./perso.js";

/** Which Shopify id becomes perso's sku (default "sku": the variant's SKU, else its id). */
export type ShopifyCartKey = "sku" | "variant_id" | "product_id" | "handle";

/** Shopify's `/cart.js` JSON -> perso cart lines (prices in currency units). */
export function cartLinesFromShopify(cart: { items?: Record<string, unknown>[] } | null, options?: { key?: ShopifyCartKey }): CartLine[];

/** Keeps perso's cart equal to Shopify's (`/cart.js`, re-read after every cart change). Returns a stop function. */
export function watchShopifyCart(win: Window, perso: { setCart(lines: CartLine[]): void }, options?: { key?: ShopifyCartKey }): () => void;
