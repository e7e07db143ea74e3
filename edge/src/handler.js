// The worker's request flow: fetch the origin's page (and the bundle, in parallel),
// decide from the request, hold the page (bounded), rewrite it whole, then record the
// impressions of what was actually filled and sign the new state. Every failure —
// configuration, bundle, charset, size, engine, rewriter — returns the origin's
// response as received (status, headers, bytes) and logs one line; the one exception
// is a missing PERSO_ORIGIN, where there is no page to return.
//
// `createHandler` takes the clock and the id generator as inputs so that tests can
// replay a shopper's visit at chosen times; edge-entry.js passes the real ones.

import { COOKIE, cookieString, readCart, readClientEvents, readCookies } from "../../js/src/kit/index.js";
import { loadBundle, noteEngineTrap } from "./bundle.js";
import { encodingFromHeader, pageEncoding } from "./charset.js";
import { originConfig, workerConfig } from "./config.js";
import { readCustomerCookie } from "./customer-cookie.js";
import { crossSiteReason, formAnswers, readForm, refuse, safeReturnPath, seeOther } from "./endpoints.js";
import {
  applyClientEvents, decide, hasCampaign, openVisitor, pageContext, pageView, recordDismissal, recordImpressions,
  recoverFromEngineFailure, registerAnswers, registrationQuestions, releaseVisitor, safeUrl, visitorBytes,
} from "./engine-calls.js";
import { logEdge } from "./log.js";
import { originRequest } from "./origin.js";
import { readAtMost, resumeStream } from "../../js/src/kit/read-capped.js";
import { consentOf, mayPersist, pageFacts, requestContext } from "./request-context.js";
import { rewritePage } from "./rewrite.js";
import { renderPlacement } from "./slot-markup.js";
import { readStateCookie, writeStateCookie } from "./state-cookie.js";

export const ACTION_PATH = "/.perso/";
const HTML_TYPES = ["text/html", "application/xhtml+xml"];
const VARY = ["Cookie", "Sec-GPC"];
const MAX_LOGGED_ONCE = 256;

export function createHandler({ now = () => Date.now(), randomId = () => crypto.randomUUID() } = {}) {
  // A failure that repeats on every request (a bad bundle, a bad binding, a page too
  // large) is logged once per isolate, not once per page.
  const loggedOnce = new Set();
  function logOnce(level, code, message) {
    const key = `${code}\n${message}`;
    if (loggedOnce.has(key)) return;
    if (loggedOnce.size >= MAX_LOGGED_ONCE) loggedOnce.clear();
    loggedOnce.add(key);
    logEdge(level, code, message);
  }

  /** After an engine failure: a trap replaces the instance, and repeated traps quarantine the bundle. */
  function engineFailed(failure, bundle) {
    if (recoverFromEngineFailure(failure) && noteEngineTrap(bundle)) {
      logOnce("error", "bundle_quarantined", `bundle serial ${bundle.serial} made the engine trap again: quarantined in this isolate, pages pass through until another bundle is published`);
    }
  }

  async function fetchPage(request, env, ctx) {
    const url = new URL(request.url);
    const nowMs = now(request);
    let origin;
    try {
      origin = originConfig(env);
    } catch (error) {
      logOnce("error", error.code, error.message);
      return refuse(502, `the edge worker is misconfigured: ${error.message}`);
    }
    if (url.pathname.startsWith(ACTION_PATH)) return handleAction(request, url, env, nowMs, ctx);

    const forwarded = originRequest(request, url, origin);
    if (request.method !== "GET" || request.headers.get("upgrade")) return fetch(forwarded);
    let settings;
    try {
      settings = workerConfig(env);
    } catch (error) {
      logOnce("error", error.code, `pages pass through unchanged: ${error.message}`);
      return fetch(forwarded);
    }
    const bundle = loadBundle(env, nowMs, { settings, ctx }).then(
      (loaded) => ({ loaded }),
      (error) => ({ error }),
    );
    const response = await fetch(forwarded);
    if (!isPersonalizable(response)) return response;
    const fromHeader = encodingFromHeader(response.headers.get("content-type"));
    if (fromHeader.unsupported) {
      logOnce("warn", "charset_unsupported", `charset "${fromHeader.unsupported.slice(0, 32)}" is not ASCII-compatible: the page passes through unchanged`);
      return response;
    }
    const { loaded, error } = await bundle;
    if (error) {
      logOnce("error", error.code ?? "bundle_error", `bundle not usable, pages pass through unchanged: ${error.message}`);
      return response;
    }

    // Start holding the page while deciding; nothing is sent before both are done. An
    // origin whose body breaks off mid-way gets no page either way: say so plainly.
    const holding = readAtMost(response.body, settings.maxPageBytes).catch((failure) => ({ failure }));
    let page;
    try {
      page = await decidePage(request, url, settings, loaded, nowMs, randomId, logOnce);
    } catch (failure) {
      engineFailed(failure, loaded);
      logEdge("error", failure.code ?? "decide_failed", `page passed through unchanged: ${failure.message}`);
      const held = await holding;
      return held.failure ? originFailed(held.failure) : original(response, held);
    }
    try {
      const held = await holding;
      if (held.failure) return originFailed(held.failure);
      if (!held.complete) {
        logOnce("warn", "page_too_large", `${url.pathname.slice(0, 200)}: over PERSO_MAX_PAGE_BYTES (${settings.maxPageBytes}), passed through unchanged`);
        return original(response, held);
      }
      const encoding = pageEncoding(fromHeader, held.bytes);
      if (encoding.unsupported) {
        logOnce("warn", "charset_unsupported", `charset "${encoding.unsupported.slice(0, 32)}" is not ASCII-compatible: the page passes through unchanged`);
        return original(response, held);
      }
      let rewritten;
      try {
        rewritten = await rewritePage(held.bytes, encoding.encoding, page.serial, page.rendered);
      } catch (failure) {
        logOnce("error", "rewrite_failed", `${url.pathname.slice(0, 200)}: the HTML rewriter failed, page passed through unchanged: ${String(failure.message).slice(0, 300)}`);
        return original(response, held);
      }
      let setCookies;
      try {
        setCookies = await finishState(page, rewritten.filled, settings, nowMs);
      } catch (failure) {
        engineFailed(failure, loaded);
        logEdge("error", failure.code ?? "decide_failed", `page passed through unchanged: ${failure.message}`);
        return original(response, held);
      }
      const missing = [...page.rendered.keys()].filter((placement) => !rewritten.filled.some((placed) => placed.placement === placement));
      if (missing.length > 0) {
        logEdge("warn", "slot_missing", `decided but no slot that can show it (nothing counted) for: ${missing.join(", ")}`);
      }
      return personalizedResponse(response, rewritten.bytes, setCookies);
    } finally {
      releaseVisitor(page.visitor);
    }
  }

  async function handleAction(request, url, env, nowMs, ctx) {
    if (request.method !== "POST") {
      return new Response("perso: this endpoint accepts POST only\n", { status: 405, headers: { allow: "POST" } });
    }
    const action = url.pathname.slice(ACTION_PATH.length);
    if (action !== "dismiss" && action !== "register") return refuse(404, "unknown action");
    const crossSite = crossSiteReason(request, url);
    if (crossSite) {
      logEdge("warn", "cross_site_post", `${action}: refused a form post that is not from this site (${crossSite})`);
      return refuse(403, "form posts from other sites are refused");
    }
    const read = await readForm(request);
    if (read.error) {
      logEdge("warn", "form_rejected", `${action}: ${read.error}`);
      return refuse(read.status, read.error);
    }
    const returnPath = safeReturnPath(read.form.get("return"));
    let bundle = null;
    let visitor = null;
    try {
      const settings = workerConfig(env);
      bundle = await loadBundle(env, nowMs, { settings, ctx });
      const cookies = readCookies(request.headers.get("cookie"));
      if (!mayPersist(consentOf(request.headers, cookies[COOKIE.consent], settings.consent))) return seeOther(returnPath, []);
      // Only a visitor the edge already knows has a state to change: a post without a
      // valid state cookie changes nothing (it could not have come from an edge page).
      const stored = await readState(cookies, settings, nowMs);
      if (stored?.error) logEdge("warn", "state_cookie_rejected", stored.error);
      if (!stored || stored.error) return seeOther(returnPath, []);
      visitor = openStoredVisitor(stored);
      if (!visitor) return seeOther(returnPath, []);
      if (action === "dismiss") {
        const campaign = read.form.get("campaign");
        if (!hasCampaign(bundle, campaign)) return seeOther(returnPath, []);
        recordDismissal(bundle, visitor, campaign, nowMs);
      } else {
        registerAnswers(bundle, visitor, formAnswers(read.form, registrationQuestions(bundle)), nowMs);
      }
      const value = await signState(visitor, stored.ackedMs, settings, nowMs);
      const secure = url.protocol === "https:";
      return seeOther(returnPath, value ? [cookieString(COOKIE.state, value, { maxAgeS: settings.stateMaxAgeS, secure })] : []);
    } catch (failure) {
      engineFailed(failure, bundle);
      logEdge("error", failure.code ?? "action_failed", `${action}: ${failure.message}`);
      return seeOther(returnPath, []);
    } finally {
      releaseVisitor(visitor);
    }
  }

  return { fetch: fetchPage };
}

/** The verified state cookie (state-cookie.js): `{ bytes, ackedMs, kid }`, `{ error }` or null. */
function readState(cookies, settings, nowMs) {
  return readStateCookie(cookies[COOKIE.state], settings.stateKeys, { nowMs, maxAgeS: settings.stateMaxAgeS });
}

/** The engine's visitor from a verified cookie's bytes; null (logged) when the engine refuses them (version, format). */
function openStoredVisitor(stored) {
  try {
    return openVisitor(stored.bytes, {});
  } catch (error) {
    if (error?.code !== "state_invalid") throw error;
    logEdge("warn", "state_cookie_rejected", `${COOKIE.state}: ${error.message}`);
    return null;
  }
}

/** The new state cookie's value, the state trimmed by the engine to the cookie's budget; null when it cannot fit. */
function signState(visitor, ackedMs, settings, nowMs) {
  return writeStateCookie((budget) => visitorBytes(visitor, budget), ackedMs, settings.stateKeys, { nowMs });
}

function isPersonalizable(response) {
  if (response.status !== 200 || response.body === null) return false;
  const type = (response.headers.get("content-type") ?? "").toLowerCase();
  if (!HTML_TYPES.some((html) => type.startsWith(html))) return false;
  return !/(^|,)\s*no-transform\s*(,|$)/i.test(response.headers.get("cache-control") ?? "");
}

function originFailed(failure) {
  logEdge("warn", "origin_body_failed", `the origin's page broke off while it was read: ${String(failure?.message).slice(0, 200)}`);
  return refuse(502, "the origin's page broke off");
}

/** The origin's response as received, from the bytes held so far and the rest of its body. */
function original(response, held) {
  const body = held.complete ? held.bytes : resumeStream(held.chunks, held.reader);
  const headers = new Headers(response.headers);
  // The runtime sets the length of a byte body itself; a decoded gzip body's declared length is wrong anyway.
  headers.delete("content-length");
  return new Response(body, { status: response.status, statusText: response.statusText, headers });
}

/**
 * Decides for this page: the visitor (verified cookie + browser events + this page
 * view), the context from the request, the decision and the markup of each placement
 * shown now. Nothing is counted yet: impressions wait for the rewrite (finishState).
 * The visitor handle it returns is the caller's to release.
 */
async function decidePage(request, url, settings, bundle, nowMs, randomId, logOnce) {
  const cookies = readCookies(request.headers.get("cookie"));
  const consent = consentOf(request.headers, cookies[COOKIE.consent], settings.consent);
  const persist = mayPersist(consent);
  const stored = persist ? await readState(cookies, settings, nowMs) : null;
  if (stored?.error) logEdge("warn", "state_cookie_rejected", stored.error);
  const customer = await readCustomerCookie(cookies[COOKIE.customer], settings.customerKey, nowMs);
  if (customer?.error) logEdge("warn", "customer_cookie_rejected", customer.error);
  const cart = cookies[COOKIE.cart] === undefined ? null : readCart(cookies[COOKIE.cart]);
  if (cart?.error) logEdge("warn", "cart_cookie_rejected", cart.error);

  let visitor = null;
  try {
    let ackedMs = 0;
    if (stored && !stored.error) {
      visitor = openStoredVisitor(stored);
      if (visitor) ackedMs = stored.ackedMs;
    }
    visitor ??= openVisitor(null, { id: randomId(), nowMs });
    if (persist && cookies[COOKIE.client] !== undefined) {
      const client = readClientEvents(cookies[COOKIE.client]);
      if (client.error) logEdge("warn", "client_cookie_rejected", client.error);
      else ackedMs = applyClientEvents(bundle, visitor, client.events, ackedMs, nowMs);
    }
    const normalized = pageContext(bundle, pageFacts(request));
    const context = requestContext(request, normalized, { consent, customer: customer?.customer, cart: cart?.cart });
    pageView(bundle, visitor, normalized.pageView, nowMs);
    const decision = decide(bundle, visitor, context, nowMs);
    if (decision.over_budget) {
      logOnce("warn", "over_budget", `bundle serial ${decision.serial}: excluded for going over the engine's run-time budget: ${decision.over_budget.join(", ").slice(0, 300)}`);
    }
    const options = {
      nowMs,
      returnPath: url.pathname + url.search,
      actionPath: ACTION_PATH,
      locale: settings.locale,
      currency: settings.currency,
      safeUrl,
    };
    const rendered = new Map();
    for (const placed of decision.placements) {
      // Client-only triggers (dwell, idle, scroll, exit intent, add to cart) are the
      // browser runtime's: the slot keeps its default content here.
      if (placed.trigger?.on !== "now") continue;
      const html = renderPlacement(placed, options);
      if (html !== null) rendered.set(placed.placement, { placed, html });
    }
    return {
      serial: decision.serial,
      rendered,
      bundle,
      visitor,
      ackedMs,
      persist,
      hadStateCookie: cookies[COOKIE.state] !== undefined,
      secure: url.protocol === "https:",
    };
  } catch (error) {
    releaseVisitor(visitor);
    throw error;
  }
}

/** Counts the impressions of what was filled; the Set-Cookie headers of the new state. */
async function finishState(page, filled, settings, nowMs) {
  if (!page.persist) return page.hadStateCookie ? [cookieString(COOKIE.state, "", { maxAgeS: 0, secure: page.secure })] : [];
  recordImpressions(page.bundle, page.visitor, filled.map((placed) => placed.campaign), nowMs);
  const value = await signState(page.visitor, page.ackedMs, settings, nowMs);
  if (value) return [cookieString(COOKIE.state, value, { maxAgeS: settings.stateMaxAgeS, secure: page.secure })];
  logEdge("warn", "state_too_large", "visitor state does not fit the cookie even without campaign records");
  return [];
}

/** Headers of a personalized page: never stored by a shared cache. */
function personalizedResponse(response, body, setCookies) {
  const headers = new Headers(response.headers);
  headers.set("cache-control", "private, no-cache");
  const vary = (headers.get("vary") ?? "").split(",").map((v) => v.trim()).filter(Boolean);
  for (const name of VARY) if (!vary.some((v) => v.toLowerCase() === name.toLowerCase())) vary.push(name);
  headers.set("vary", vary.join(", "));
  // Validators describe the origin's body, not this visitor's page.
  headers.delete("etag");
  headers.delete("last-modified");
  headers.delete("content-length");
  for (const cookie of setCookies) headers.append("set-cookie", cookie);
  return new Response(body, { status: response.status, statusText: response.statusText, headers });
}
