// Small helpers shared by the workerd test files: building the cookies a store or
// the browser runtime would write, and reading the state cookie's payload as the
// browser runtime does.

import { encodeJsonBase64Url, decodeJsonBase64Url } from "../src/base64url.js";

export const clientCookie = (events) => `v1.${encodeJsonBase64Url({ events })}`;
export const cartCookie = (items) => `v1.${encodeJsonBase64Url({ items })}`;

/** The visitor state inside perso_state, read without the key (as the browser does). */
export function statePayload(value) {
  return decodeJsonBase64Url(value.split(".")[1]);
}

export const ADA = { first_name: "Ada", ltv_band: "high", rfm: { r: 5, f: 4, m: 5, score: 14 } };
export const GADGETS_REFERER = "https://gadgets.com/reviews/headphones";
