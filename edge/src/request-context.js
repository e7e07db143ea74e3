// The engine's context (docs/api.md) from what the store's own request carries:
// URL (path, UTM), Referer, country, device, language, consent, and the verified
// customer and cart cookies. `session.*` and `visitor.*` come from the state via
// `pageView`, and `time.*` from the engine, exactly as in the browser.

import { deviceType, preferredLanguage } from "./device.js";

const UTM_FIELDS = ["source", "medium", "campaign", "term", "content"];
const MAX_UTM = 64;
const MAX_REFERRER = 1024;
const DEFAULT_PAGE_TYPES = [["/category/", "category"], ["/product/", "product"], ["/cart", "cart"], ["/checkout", "checkout"]];

/** Path prefix -> page type table from PERSO_PAGE_TYPES (JSON), or the defaults. */
export function pageTypeTable(configured) {
  if (!configured) return DEFAULT_PAGE_TYPES;
  const table = typeof configured === "string" ? JSON.parse(configured) : configured;
  if (!Array.isArray(table) || !table.every((row) => Array.isArray(row) && row.length === 2 && row.every((s) => typeof s === "string"))) {
    throw new Error('PERSO_PAGE_TYPES must be a JSON array of ["path prefix", "type"] pairs');
  }
  return table;
}

export function pageType(path, table) {
  if (path === "/") return "home";
  for (const [prefix, type] of table) if (path.startsWith(prefix)) return type;
  return "other";
}

/** Referrer URL and host: http(s) only, the store's own host is not an entry referrer. */
export function referrerOf(headers, ownHost) {
  const referer = headers.get("referer");
  if (!referer || referer.length > MAX_REFERRER) return {};
  let url;
  try {
    url = new URL(referer);
  } catch {
    return {};
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return {};
  const host = url.hostname.toLowerCase();
  if (host === ownHost) return { referrer: referer };
  return { referrer: referer, referrer_host: host };
}

export function utmOf(searchParams) {
  const utm = {};
  for (const field of UTM_FIELDS) {
    const value = searchParams.get(`utm_${field}`);
    if (value) utm[field] = value.slice(0, MAX_UTM);
  }
  return utm;
}

/**
 * consent.{gpc, personalization} as the browser runtime sets them: the consent cookie
 * (`perso_consent`, written by the store's consent banner) decides when present;
 * without it, mode "implied" (PERSO_CONSENT's default) grants and "required" does not.
 * Global Privacy Control always wins: with `Sec-GPC: 1` personalization is false.
 */
export function consentOf(headers, consentCookie, mode = "implied") {
  const gpc = headers.get("sec-gpc")?.trim() === "1";
  const value = consentCookie?.toLowerCase();
  let personalization = mode !== "required";
  if (value === "granted" || value === "1" || value === "true") personalization = true;
  else if (value === "denied" || value === "0" || value === "false") personalization = false;
  return gpc ? { gpc: true, personalization: false } : { personalization };
}

/** Whether anything may persist on the device (docs/edge-deploy.md §1.3, Consent). */
export function mayPersist(consent) {
  return consent.gpc !== true && consent.personalization !== false;
}

export function countryOf(headers) {
  const country = headers.get("cf-ipcountry") ?? headers.get("x-country");
  return country && /^[A-Za-z]{2}$/.test(country) ? country.toUpperCase() : undefined;
}

/**
 * Builds { context, pageView } for the engine. `customer` and `cart` are already
 * verified (or undefined).
 */
export function contextFromRequest(request, url, { consent, customer, cart, pageTypes }) {
  const headers = request.headers;
  const { referrer, referrer_host: referrerHost } = referrerOf(headers, url.hostname.toLowerCase());
  const utm = utmOf(url.searchParams);
  const page = { url: `${url.origin}${url.pathname}`, path: url.pathname, type: pageType(url.pathname, pageTypes) };
  if (referrer) page.referrer = referrer;
  if (referrerHost) page.referrer_host = referrerHost;
  if (Object.keys(utm).length > 0) page.utm = utm;

  const context = { page, consent };
  const device = {};
  const type = deviceType(headers);
  if (type) device.type = type;
  const language = preferredLanguage(headers);
  if (language) device.language = language;
  if (Object.keys(device).length > 0) context.device = device;
  const country = countryOf(headers);
  if (country) context.custom = { country };
  if (customer) context.customer = customer;
  context.cart = cart ?? { items: [] };

  const pageView = {};
  if (referrerHost) pageView.referrer_host = referrerHost;
  if (page.utm) pageView.utm = utm;
  return { context, pageView };
}
