// Small helpers shared by the workerd test files: building the cookies a store or
// the browser runtime would write (with the kit's codec, as they do), and reading the
// state cookie's payload as the browser runtime does, with the state's compact bytes
// turned into its JSON form by the tools build (for assertions only).

import { createRequire } from "node:module";
import { cartValue, decodeJsonBase64Url, encodeBase64Url, peekStateCookie, unsignedValue } from "../../js/src/kit/cookies.js";

const tools = createRequire(import.meta.url)("../../pkg-node/perso.js");

export const clientCookie = (events) => unsignedValue({ events });
export const cartCookie = (items) => unsignedValue({ items });
export { cartValue };

/** A state's JSON form (for people and tests) from its compact bytes. */
export function stateJson(bytes) {
  const visitor = tools.Visitor.fromBytes(bytes);
  if (!visitor) throw new Error("not a visitor state");
  try {
    return JSON.parse(visitor.toJson());
  } finally {
    visitor.free();
  }
}

/** Compact bytes of a state in its JSON form (to forge or edit one in a test). */
export function stateBytes(json) {
  const visitor = tools.Visitor.fromJson(JSON.stringify(json));
  if (!visitor) throw new Error(`not a visitor state: ${tools.lastErrorMessage()}`);
  try {
    return visitor.toBytes(4096);
  } finally {
    visitor.free();
  }
}

/**
 * The payload of perso_state read without the key (as the browser does): `{ s, acked_ms,
 * kid, iat }` as written, plus `state`, the visitor state's JSON form.
 */
export function statePayload(value) {
  const payload = decodeJsonBase64Url(value.split(".")[1]);
  const peeked = peekStateCookie(value);
  return { ...payload, state: peeked ? stateJson(peeked.bytes) : null };
}

export { encodeBase64Url };
export const ADA = { first_name: "Ada", ltv_band: "high", rfm: { r: 5, f: 4, m: 5, score: 14 } };
export const GADGETS_REFERER = "https://gadgets.com/reviews/headphones";
