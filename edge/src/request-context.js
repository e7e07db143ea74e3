// The engine's context (docs/api.md) from what the store's own request carries. Page
// facts — URL, Referer, device hints, language — go to the engine's one page rule
// (the kit's `pageContext`, perso_core::page), exactly as the browser runtime sends
// its own, so page type, UTM, referrer and device cannot drift between the hosts. The
// edge adds its own parts: consent, the verified customer and cart cookies, country.
// `session.*` and `visitor.*` come from the state via `pageView`, and `time.*` from the
// engine, exactly as in the browser.

/** What the request says about the page, in the kit's `pageContext` facts. */
export function pageFacts(request) {
  const headers = request.headers;
  const hint = headers.get("sec-ch-ua-mobile");
  return {
    url: request.url,
    referrer: headers.get("referer"),
    declaredType: null,
    mobileHint: hint === "?1" ? true : hint === "?0" ? false : null,
    userAgent: headers.get("user-agent") || null,
    coarsePointer: null,
    screenShortSide: null,
    language: headers.get("accept-language") || null,
  };
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
 * The context for the engine: `page` and `device` from the engine's page rule
 * (`pageContext(...)`'s result), the rest from the request. `customer` and `cart` are
 * already verified (or undefined).
 */
export function requestContext(request, normalized, { consent, customer, cart }) {
  const context = { page: normalized.page, consent };
  if (Object.keys(normalized.device).length > 0) context.device = normalized.device;
  const country = countryOf(request.headers);
  if (country) context.custom = { country };
  if (customer) context.customer = customer;
  context.cart = cart ?? { items: [] };
  return context;
}
