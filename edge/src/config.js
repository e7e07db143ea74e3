// The worker's configuration (docs/edge-deploy.md §2), read from its bindings once per
// `env` object and checked as a whole: a wrong value is a ConfigError naming the
// binding and what it must be, never a silent default. The origin is read apart from
// the rest because without it there is no page to pass through.

import {
  DEFAULT_BUNDLE_TIMEOUT_MS, DEFAULT_BUNDLE_TTL_S, DEFAULT_MAX_PAGE_BYTES, DEFAULT_STATE_MAX_AGE_DAYS,
  MAX_BUNDLE_TIMEOUT_MS, MAX_MAX_PAGE_BYTES, MAX_SERIAL, MAX_STATE_MAX_AGE_DAYS, MIN_MAX_PAGE_BYTES,
} from "./limits.js";
import { ConfigError } from "./errors.js";
import { parseStateKeys } from "./state-keys.js";

const ROUTE = "route";
const origins = new WeakMap();
const configs = new WeakMap();

/** Caches per env object (workerd hands the same one to every request of an isolate). */
function cached(cache, env, read) {
  let entry = cache.get(env);
  if (!entry) {
    try {
      entry = { value: read(env) };
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      entry = { error };
    }
    cache.set(env, entry);
  }
  if (entry.error) throw entry.error;
  return entry.value;
}

/**
 * Where pages come from: `{ route: true }` (the worker runs on a Cloudflare route and
 * its subrequests reach the zone's origin, Host preserved) or `{ base: URL }`.
 */
export function originConfig(env) {
  return cached(origins, env, readOrigin);
}

function readOrigin(env) {
  const value = env.PERSO_ORIGIN;
  if (typeof value !== "string" || value.trim() === "") {
    throw new ConfigError(
      'PERSO_ORIGIN is not set: give the origin\'s base URL (e.g. "https://origin.gizmos.example", or "http://localhost:3000" with npm run dev), or "route" when the worker runs on a Cloudflare route in front of the zone\'s origin',
    );
  }
  if (value.trim() === ROUTE) return { route: true };
  let base;
  try {
    base = new URL(value.trim());
  } catch {
    throw new ConfigError(`PERSO_ORIGIN "${value.slice(0, 80)}" is not a URL (expected e.g. "https://origin.gizmos.example" or "route")`);
  }
  if (base.protocol !== "http:" && base.protocol !== "https:") throw new ConfigError(`PERSO_ORIGIN must be an http: or https: URL, not ${base.protocol}`);
  if (base.pathname !== "/" || base.search || base.hash || base.username || base.password) {
    throw new ConfigError("PERSO_ORIGIN must be an origin only (scheme, host, port): the request's path and query are kept as they are");
  }
  return { base };
}

/** Everything else the worker reads from its bindings; throws ConfigError. */
export function workerConfig(env) {
  return cached(configs, env, readConfig);
}

function readConfig(env) {
  noPageTypes(env.PERSO_PAGE_TYPES);
  return {
    stateKeys: parseStateKeys(env),
    consent: consentMode(env.PERSO_CONSENT),
    minSerial: optionalInteger(env, "PERSO_MIN_SERIAL", 0, MAX_SERIAL),
    bundleTtlMs: (optionalInteger(env, "PERSO_BUNDLE_TTL_S", 1, 86_400) ?? DEFAULT_BUNDLE_TTL_S) * 1000,
    bundleTimeoutMs: optionalInteger(env, "PERSO_BUNDLE_TIMEOUT_MS", 1, MAX_BUNDLE_TIMEOUT_MS) ?? DEFAULT_BUNDLE_TIMEOUT_MS,
    maxPageBytes: optionalInteger(env, "PERSO_MAX_PAGE_BYTES", MIN_MAX_PAGE_BYTES, MAX_MAX_PAGE_BYTES) ?? DEFAULT_MAX_PAGE_BYTES,
    stateMaxAgeS: (optionalInteger(env, "PERSO_STATE_MAX_AGE_DAYS", 1, MAX_STATE_MAX_AGE_DAYS) ?? DEFAULT_STATE_MAX_AGE_DAYS) * 86_400,
    customerKey: env.PERSO_CUSTOMER_KEY || null,
    locale: env.PERSO_LOCALE || "en-US",
    currency: env.PERSO_CURRENCY || "USD",
  };
}

/** The browser runtime's two modes (docs/browser-runtime.md, Consent): "implied" by default. */
function consentMode(value) {
  if (value === undefined || value === "") return "implied";
  if (value === "implied" || value === "required") return value;
  throw new ConfigError(`PERSO_CONSENT must be "implied" or "required", not "${String(value).slice(0, 32)}"`);
}

function optionalInteger(env, name, min, max) {
  const value = env[name];
  if (value === undefined || value === "") return null;
  const number = typeof value === "number" ? value : /^\s*\d+\s*$/.test(String(value)) ? Number(value) : NaN;
  if (!Number.isSafeInteger(number) || number < min || number > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, not "${String(value).slice(0, 32)}"`);
  }
  return number;
}

/**
 * Page types come from the bundle (`page_types`, docs/bundle-format.md) through the
 * engine's page rule, the same in the browser: a table of the worker's own would make
 * the two hosts disagree, so the old binding is refused rather than ignored.
 */
function noPageTypes(value) {
  if (value === undefined || value === "") return;
  throw new ConfigError("PERSO_PAGE_TYPES is no longer read: page types come from the bundle's page_types (docs/bundle-format.md), the rule the browser uses too; remove the binding");
}
