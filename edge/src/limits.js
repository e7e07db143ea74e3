// Every size, count and time limit of the edge worker, in one place, so the deploy
// guide (docs/edge-deploy.md §6) and the code cannot drift. A limit that a store may
// tune has a DEFAULT_ here and a binding in config.js; the others are fixed. Limits
// both JS hosts share come from the kit (js/src/kit/limits.js, kit/cookies.js), whose
// values a test compares with the engine's own.

import { COOKIE_LIMITS, LIMITS } from "../../js/src/kit/index.js";

/** The one documented limit of a published bundle (perso_core::limits, the kit's copy): 1 MiB. */
export const MAX_BUNDLE_BYTES = LIMITS.MAX_BUNDLE_BYTES;
/** bundle.bin.sig is ~150 bytes of JSON; anything much larger is not a signature. */
export const MAX_SIGNATURE_BYTES = 4096;

/** Each GET of the bundle or its signature, headers and body, must finish within this. */
export const DEFAULT_BUNDLE_TIMEOUT_MS = 3000;
export const MAX_BUNDLE_TIMEOUT_MS = 30_000;
/** How long a fetched bundle is fresh; after that it is still served while a refresh runs. */
export const DEFAULT_BUNDLE_TTL_S = 300;
/** After a failed load or refresh, the next attempt waits this long (no fetch per request). */
export const BUNDLE_RETRY_MS = 30_000;

/**
 * The worker holds a page in memory (at most this many bytes) and rewrites it only
 * once it has all of it, so that a rewriter failure can still return the origin's
 * bytes. A larger page passes through unchanged, streamed.
 */
export const DEFAULT_MAX_PAGE_BYTES = 2 * 1_048_576;
export const MIN_MAX_PAGE_BYTES = 1024;
export const MAX_MAX_PAGE_BYTES = 8 * 1_048_576;
/** Browsers look for `<meta charset>` in the first 1024 bytes (WHATWG HTML "prescan"). */
export const CHARSET_PRESCAN_BYTES = 1024;

/** The no-JavaScript forms posted to /.perso/ are a few hundred bytes. */
export const MAX_FORM_BYTES = 4096;

/** Cookie values (the whole value, with its MAC): the contract's, kit/cookies.js. */
export const { MAX_STATE_COOKIE, MAX_CLIENT_COOKIE, MAX_CART_COOKIE, MAX_CUSTOMER_COOKIE } = COOKIE_LIMITS;

/** Traps of the engine under one bundle, in one isolate, after which that bundle is quarantined. */
export const QUARANTINE_AFTER_TRAPS = 2;

/** HMAC secrets of the state cookie: at least 32 bytes (256 bits), as HMAC-SHA256 wants. */
export const MIN_STATE_SECRET_BYTES = 32;
/** A state cookie older than this (since it was last signed) is refused: the visitor starts afresh. */
export const DEFAULT_STATE_MAX_AGE_DAYS = 365;
export const MAX_STATE_MAX_AGE_DAYS = 400; // browsers cap cookie lifetimes at 400 days
/** How far ahead of the worker's clock a state cookie's issue time may be (clocks of edge nodes differ). */
export const MAX_ISSUED_AHEAD_MS = 5 * 60_000;

/** The largest serial a bundle may carry: above it, JS numbers stop being exact. */
export const MAX_SERIAL = LIMITS.MAX_SERIAL;
