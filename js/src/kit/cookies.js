// The first-party cookies the edge worker and the browser runtime exchange
// (docs/edge-deploy.md §1.3, version "v1"): the one home of their format, imported by
// both hosts, so a payload written by one is read by the other with the same code.
//
//   perso_state    v1.<payload>.<mac>  edge only; payload {s, acked_ms, kid, iat}
//   perso_client   v1.<payload>        browser; payload {events: [...]}
//   perso_cart     v1.<payload>        store's server or browser; payload {items: [...]}
//   perso_customer v1.<payload>.<mac>  store's server; payload: the profile + exp
//
// Payloads are UTF-8 JSON in base64url without padding (RFC 4648 §5); a MAC is
// HMAC-SHA256 (WebCrypto) over the ASCII string "<cookie name>.v1." + payload, in
// base64url, so a value signed for one cookie cannot be replayed as another. `s` in
// the state is the engine's compact visitor state (`Visitor.toBytes`), base64url.
// Readers return `{ value }`-like results or `{ error }` naming what is wrong (never
// the cookie's content: it is visitor data); nothing here throws on bad input.

export const COOKIE_VERSION = "v1";

export const COOKIE = Object.freeze({
  state: "perso_state",
  client: "perso_client",
  customer: "perso_customer",
  cart: "perso_cart",
  consent: "perso_consent",
});

/** Cookie values (the whole value, with its MAC), under the 4 KB a browser keeps per cookie. */
export const COOKIE_LIMITS = Object.freeze({
  MAX_STATE_COOKIE: 3800,
  MAX_CLIENT_COOKIE: 2048,
  MAX_CART_COOKIE: 2048,
  MAX_CUSTOMER_COOKIE: 2048,
  MAX_CLIENT_EVENTS: 16,
  MAX_CART_ITEMS: 20,
  /** Campaign ids, skus, categories, interests in a cookie: at most this many characters. */
  MAX_ID: 64,
  MAX_INTERESTS: 12,
});

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true });

// ---- encodings -------------------------------------------------------------------

export function encodeBase64Url(bytes) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The bytes of a base64url text, or null when it is not base64url. */
export function decodeBase64Url(text) {
  if (typeof text !== "string" || !/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null;
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export const encodeJsonBase64Url = (value) => encodeBase64Url(encoder.encode(JSON.stringify(value)));

/** The JSON value of a base64url UTF-8 text; null when any layer is malformed. */
export function decodeJsonBase64Url(text) {
  const bytes = decodeBase64Url(text);
  if (bytes === null) return null;
  try {
    return JSON.parse(strictDecoder.decode(bytes));
  } catch {
    return null;
  }
}

/** One cookie's value from a `Cookie` header (or the document's cookie string); first occurrence wins. */
export function cookieValue(header, name) {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return unquote(part.slice(eq + 1).trim());
  }
  return undefined;
}

/** perso's cookies in a `Cookie` header, by name. */
export function readCookies(header) {
  const found = {};
  if (!header) return found;
  const wanted = new Set(Object.values(COOKIE));
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (wanted.has(name) && !(name in found)) found[name] = unquote(part.slice(eq + 1).trim());
  }
  return found;
}

const unquote = (value) => (value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value);

/** `Set-Cookie` text (or the line the browser runtime writes) for one of perso's cookies (values need no quoting). */
export function cookieString(name, value, { maxAgeS, secure, httpOnly = false }) {
  return `${name}=${value}; Path=/; Max-Age=${maxAgeS}${httpOnly ? "; HttpOnly" : ""}; SameSite=Lax${secure ? "; Secure" : ""}`;
}

// ---- unsigned values: v1.<payload> --------------------------------------------------

export const unsignedValue = (value) => `${COOKIE_VERSION}.${encodeJsonBase64Url(value)}`;

/** `{ value }` from an unsigned `v1.<payload>` cookie, or `{ error }`. */
export function readUnsignedValue(name, text, maxLength) {
  if (typeof text !== "string" || text.length === 0) return { error: `${name}: empty` };
  if (text.length > maxLength) return { error: `${name}: ${text.length} characters, over the ${maxLength} limit` };
  const parts = text.split(".");
  if (parts.length !== 2 || parts[0] !== COOKIE_VERSION) return { error: `${name}: expected ${COOKIE_VERSION}.<payload>` };
  const value = decodeJsonBase64Url(parts[1]);
  if (value === null) return { error: `${name}: payload is not base64url JSON` };
  return { value };
}

// ---- signed values: v1.<payload>.<mac> ----------------------------------------------

const hmacKeys = new Map(); // secret -> Promise<CryptoKey>, once per isolate or page

function hmacKey(secret) {
  let key = hmacKeys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    hmacKeys.set(secret, key);
  }
  return key;
}

const macInput = (name, payload) => encoder.encode(`${name}.${COOKIE_VERSION}.${payload}`);

/** The cookie value for `value` (any JSON), signed with `secret`. */
export async function signValue(name, value, secret) {
  const payload = encodeJsonBase64Url(value);
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(secret), macInput(name, payload));
  return `${COOKIE_VERSION}.${payload}.${encodeBase64Url(new Uint8Array(mac))}`;
}

/** `{ payload, mac }` of a `v1.<payload>.<mac>` value, or `{ error }`. */
function splitSigned(name, text, maxLength) {
  if (typeof text !== "string" || text.length === 0) return { error: `${name}: empty` };
  if (text.length > maxLength) return { error: `${name}: ${text.length} characters, over the ${maxLength} limit` };
  const parts = text.split(".");
  if (parts.length !== 3) return { error: `${name}: expected ${COOKIE_VERSION}.<payload>.<mac>` };
  const [version, payload, macText] = parts;
  if (version !== COOKIE_VERSION) return { error: `${name}: unsupported version "${version.slice(0, 8)}"` };
  const mac = decodeBase64Url(macText);
  if (mac === null || mac.length !== 32) return { error: `${name}: malformed MAC` };
  return { payload, mac };
}

async function macMatches(name, payload, mac, secret) {
  return crypto.subtle.verify("HMAC", await hmacKey(secret), mac, macInput(name, payload));
}

/** `{ value }` when `text` is a well-formed value signed with `secret` (constant-time check), else `{ error }`. */
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
 * picked from `secrets` (Map kid -> secret), so two keys can be valid during a rotation
 * at the cost of one HMAC. The payload is decoded before its MAC is checked only to
 * read the kid; nothing else of it is used unless the MAC matches.
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

// ---- perso_state: {s, acked_ms, kid, iat} ------------------------------------------

/**
 * The state cookie's payload: `s` the compact visitor state (bytes, base64url here),
 * `acked_ms` the watermark of the browser's events already folded in, `kid` the key
 * that signs it, `iat` when it was signed (ms).
 */
export const statePayload = ({ bytes, ackedMs, kid, iat }) => ({ s: encodeBase64Url(bytes), acked_ms: ackedMs, kid, iat });

/** `{ bytes, ackedMs, kid, iat }` from a (verified or not) payload, or `{ error }`. */
export function readStatePayload(value) {
  const bytes = decodeBase64Url(value?.s);
  if (typeof value?.s !== "string" || bytes === null) return { error: `${COOKIE.state}: s must be the visitor state in base64url` };
  if (typeof value.acked_ms !== "number" || !Number.isFinite(value.acked_ms)) return { error: `${COOKIE.state}: acked_ms must be a number` };
  if (typeof value.iat !== "number" || !Number.isFinite(value.iat)) return { error: `${COOKIE.state}: iat must be a time in ms` };
  return { bytes, ackedMs: value.acked_ms, kid: value.kid, iat: value.iat };
}

/**
 * The largest state (bytes) whose signed cookie stays within `maxLength` characters,
 * for this key id and these numbers: the engine trims the state to it
 * (`Visitor.toBytes(budget)`), so the cookie never has to be tried and shrunk.
 */
export function stateBudget({ kid, ackedMs, iat }, maxLength = COOKIE_LIMITS.MAX_STATE_COOKIE) {
  const base64Chars = (bytes) => Math.ceil((bytes * 4) / 3);
  const macChars = 43;
  const room = maxLength - COOKIE_VERSION.length - 2 - macChars; // "v1." + payload + "." + mac
  const jsonRoom = Math.floor((room * 3) / 4); // payload is base64url of the JSON
  const empty = JSON.stringify({ s: "", acked_ms: ackedMs, kid, iat }).length;
  let bytes = Math.floor(((jsonRoom - empty) * 3) / 4);
  while (bytes > 0 && base64Chars(bytes) > jsonRoom - empty) bytes--;
  return Math.max(0, bytes);
}

/**
 * What the browser reads of the state the edge signed (`{ bytes, ackedMs }`), or null.
 * It cannot check the MAC (it has no key) and need not: it only reads its own
 * visitor's state, and the edge re-verifies whatever comes back.
 */
export function peekStateCookie(text) {
  if (typeof text !== "string") return null;
  const parts = text.split(".");
  if (parts.length !== 3 || parts[0] !== COOKIE_VERSION) return null;
  const read = readStatePayload(decodeJsonBase64Url(parts[1]));
  return read.error ? null : { bytes: read.bytes, ackedMs: read.ackedMs };
}

// ---- perso_client: {events} ----------------------------------------------------------

const EVENT_KINDS = new Set(["dismiss", "click", "impression", "register"]);
const isId = (value) => typeof value === "string" && value.length > 0 && value.length <= COOKIE_LIMITS.MAX_ID;

/**
 * `{ events }` (the well-formed ones, in time order) or `{ error }`. Campaign ids are
 * not checked here: the engine skips those its bundle does not have, and keeps only
 * the registration answers its questions offer.
 */
export function readClientEvents(text) {
  const read = readUnsignedValue(COOKIE.client, text, COOKIE_LIMITS.MAX_CLIENT_COOKIE);
  if (read.error) return read;
  const events = read.value?.events;
  if (!Array.isArray(events)) return { error: `${COOKIE.client}: events must be an array` };
  if (events.length > COOKIE_LIMITS.MAX_CLIENT_EVENTS) return { error: `${COOKIE.client}: ${events.length} events, over the ${COOKIE_LIMITS.MAX_CLIENT_EVENTS} limit` };
  const valid = [];
  for (const event of events) {
    if (!event || !EVENT_KINDS.has(event.t) || typeof event.at !== "number" || !Number.isFinite(event.at)) continue;
    if (event.t === "register") {
      if (!Array.isArray(event.interests) || event.interests.length > COOKIE_LIMITS.MAX_INTERESTS) continue;
      valid.push({ t: "register", interests: event.interests.filter(isId), at: event.at });
    } else if (isId(event.c)) {
      valid.push({ t: event.t, c: event.c, at: event.at });
    }
  }
  valid.sort((a, b) => a.at - b.at);
  return { events: valid };
}

/**
 * The new `perso_client` value: the events of `current` (the cookie as it is) the edge
 * has not applied yet (`at > ackedMs`), then `event`; the oldest are dropped to stay
 * within the event count and the cookie's length.
 */
export function appendClientEvent(current, event, ackedMs) {
  const read = current === undefined ? { events: [] } : readClientEvents(current);
  let events = [...(read.events ?? []).filter((e) => e.at > ackedMs), event].slice(-COOKIE_LIMITS.MAX_CLIENT_EVENTS);
  let value = unsignedValue({ events });
  while (value.length > COOKIE_LIMITS.MAX_CLIENT_COOKIE && events.length > 1) {
    events = events.slice(1);
    value = unsignedValue({ events });
  }
  return value;
}

// ---- perso_cart: {items} ---------------------------------------------------------------

/** The `perso_cart` value for cart lines, cut to the item count and the cookie's length. */
export function cartValue(items) {
  const lines = items.slice(0, COOKIE_LIMITS.MAX_CART_ITEMS).map(({ sku, category, price, qty }) => ({ sku, category, price, qty }));
  let value = unsignedValue({ items: lines });
  while (value.length > COOKIE_LIMITS.MAX_CART_COOKIE && lines.length > 0) {
    lines.pop();
    value = unsignedValue({ items: lines });
  }
  return value;
}

/** `{ cart }` (the context's `cart`) or `{ error }` naming the line at fault. */
export function readCart(text) {
  const read = readUnsignedValue(COOKIE.cart, text, COOKIE_LIMITS.MAX_CART_COOKIE);
  if (read.error) return read;
  const items = read.value?.items;
  if (!Array.isArray(items)) return { error: `${COOKIE.cart}: items must be an array` };
  if (items.length > COOKIE_LIMITS.MAX_CART_ITEMS) return { error: `${COOKIE.cart}: ${items.length} items, over the ${COOKIE_LIMITS.MAX_CART_ITEMS} limit` };
  const lines = [];
  for (const [index, item] of items.entries()) {
    const where = `${COOKIE.cart}: items[${index}]`;
    if (!item || !isId(item.sku)) return { error: `${where}.sku must be text` };
    const line = { sku: item.sku };
    if (item.category !== undefined && item.category !== null) {
      if (typeof item.category !== "string" || item.category.length > COOKIE_LIMITS.MAX_ID) return { error: `${where}.category must be text` };
      line.category = item.category;
    }
    if (item.price !== undefined && item.price !== null) {
      if (typeof item.price !== "number" || !(item.price >= 0)) return { error: `${where}.price must be a number >= 0` };
      line.price = item.price;
    }
    if (item.qty !== undefined && item.qty !== null) {
      if (!Number.isInteger(item.qty) || item.qty < 1 || item.qty > 999) return { error: `${where}.qty must be an integer 1-999` };
      line.qty = item.qty;
    }
    lines.push(line);
  }
  return { cart: { items: lines } };
}
