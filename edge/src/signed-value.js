// HMAC-SHA256 signed cookie values: `v1.<payload>.<mac>`, the MAC taken over
// `"<cookie name>.v1." + payload` so a value signed for one cookie cannot be replayed
// as another. Verification uses crypto.subtle.verify, which compares in constant time.

import { decodeJsonBase64Url, encodeBase64Url, encodeJsonBase64Url, decodeBase64Url } from "./base64url.js";

export const SIGNED_VERSION = "v1";
const encoder = new TextEncoder();
const keys = new Map(); // secret -> Promise<CryptoKey>, once per isolate

function hmacKey(secret) {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    keys.set(secret, key);
  }
  return key;
}

function macInput(name, payload) {
  return encoder.encode(`${name}.${SIGNED_VERSION}.${payload}`);
}

/** The cookie value for `value` (any JSON), signed with `secret`. */
export async function signValue(name, value, secret) {
  const payload = encodeJsonBase64Url(value);
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(secret), macInput(name, payload));
  return `${SIGNED_VERSION}.${payload}.${encodeBase64Url(new Uint8Array(mac))}`;
}

/** `{ payload, mac }` of a `v1.<payload>.<mac>` value, or `{ error }`. */
function splitSigned(name, text, maxLength) {
  if (typeof text !== "string" || text.length === 0) return { error: `${name}: empty` };
  if (text.length > maxLength) return { error: `${name}: ${text.length} characters, over the ${maxLength} limit` };
  const parts = text.split(".");
  if (parts.length !== 3) return { error: `${name}: expected ${SIGNED_VERSION}.<payload>.<mac>` };
  const [version, payload, macText] = parts;
  if (version !== SIGNED_VERSION) return { error: `${name}: unsupported version "${version.slice(0, 8)}"` };
  const mac = decodeBase64Url(macText);
  if (mac === null || mac.length !== 32) return { error: `${name}: malformed MAC` };
  return { payload, mac };
}

async function macMatches(name, payload, mac, secret) {
  return crypto.subtle.verify("HMAC", await hmacKey(secret), mac, macInput(name, payload));
}

/**
 * `{ value }` when `text` is a well-formed value signed with `secret`, else
 * `{ error }` naming what is wrong (never the cookie's content: it is visitor data).
 */
export async function verifyValue(name, text, secret, maxLength) {
  const split = splitSigned(name, text, maxLength);
  if (split.error) return split;
  if (!(await macMatches(name, split.payload, split.mac, secret))) return { error: `${name}: MAC does not match (forged or signed with another key)` };
  const value = decodeJsonBase64Url(split.payload);
  if (value === null) return { error: `${name}: payload is not base64url JSON` };
  return { value };
}

/**
 * Like verifyValue for a payload that names its key (`kid`, under the MAC): the key is
 * picked from `secrets` (Map kid -> secret) by that id, so that two keys can be valid
 * during a rotation at the cost of one HMAC. The payload is decoded before its MAC is
 * checked only to read the kid; nothing else of it is used unless the MAC matches.
 */
export async function verifyKeyedValue(name, text, secrets, maxLength) {
  const split = splitSigned(name, text, maxLength);
  if (split.error) return split;
  const value = decodeJsonBase64Url(split.payload);
  if (value === null) return { error: `${name}: payload is not base64url JSON` };
  const kid = value?.kid;
  if (typeof kid !== "string") return { error: `${name}: no key id (written before key rotation was supported)` };
  const secret = secrets.get(kid);
  if (secret === undefined) return { error: `${name}: signed with key id "${kid.slice(0, 16)}", which is not configured (rotated out)` };
  if (!(await macMatches(name, split.payload, split.mac, secret))) return { error: `${name}: MAC does not match (forged or signed with another key)` };
  return { value, kid };
}

/** `{ value }` from an unsigned `v1.<payload>` cookie, or `{ error }`. */
export function readUnsignedValue(name, text, maxLength) {
  if (typeof text !== "string" || text.length === 0) return { error: `${name}: empty` };
  if (text.length > maxLength) return { error: `${name}: ${text.length} characters, over the ${maxLength} limit` };
  const parts = text.split(".");
  if (parts.length !== 2 || parts[0] !== SIGNED_VERSION) return { error: `${name}: expected ${SIGNED_VERSION}.<payload>` };
  const value = decodeJsonBase64Url(parts[1]);
  if (value === null) return { error: `${name}: payload is not base64url JSON` };
  return { value };
}
