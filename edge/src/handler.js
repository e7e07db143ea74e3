// The worker's request flow: fetch the origin's page (and the bundle, in parallel),
// decide from the request, stream the HTML through the rewriter. Every failure
// returns the origin's response exactly as received, and logs one line.
//
// `createHandler` takes the clock and the id generator as inputs so that tests can
// replay a shopper's visit at chosen times; worker.js passes the real ones.

import { loadBundle } from "./bundle.js";
import { applyClientEvents, readClientEvents } from "./client-events.js";
import { consentOf, contextFromRequest, mayPersist, pageTypeTable } from "./request-context.js";
import { COOKIE, expireCookie, readCookies, setCookie } from "./cookie-jar.js";
import { readCartCookie } from "./cart-cookie.js";
import { readCustomerCookie } from "./customer-cookie.js";
import { answeredInterests, readForm, safeReturnPath, seeOther } from "./endpoints.js";
import { persoApi, poisonOnPanic } from "./wasm-engine.js";
import { logEdge } from "./log.js";
import { renderPlacement } from "./slot-markup.js";
import { rewriteHtml } from "./rewrite.js";
import { readStateCookie, STATE_MAX_AGE_S, writeStateCookie } from "./state-cookie.js";

export const ACTION_PATH = "/.perso/";
const HTML_TYPES = ["text/html", "application/xhtml+xml"];
const VARY = ["Cookie", "Sec-GPC"];

export function createHandler({ now = () => Date.now(), randomId = () => crypto.randomUUID() } = {}) {
  let lastLoggedBundleError = null;

  function logBundleError(error) {
    if (error === lastLoggedBundleError) return;
    lastLoggedBundleError = error;
    logEdge("error", error.code ?? "bundle_error", `bundle not usable, pages pass through unchanged: ${error.message}`);
  }

  async function fetchPage(request, env) {
    const url = new URL(request.url);
    const nowMs = now(request);
    if (url.pathname.startsWith(ACTION_PATH)) return handleAction(request, url, env, nowMs);

    const originRequest = toOrigin(request, url, env);
    if (request.method !== "GET" || request.headers.get("upgrade")) return fetch(originRequest);
    const bundle = loadBundle(env, nowMs).then(
      (loaded) => ({ loaded }),
      (error) => ({ error }),
    );
    const response = await fetch(originRequest);
    if (!isPersonalizable(response)) return response;

    const { loaded, error } = await bundle;
    if (error) {
      logBundleError(error);
      return response;
    }
    let page;
    try {
      page = await decidePage(request, url, env, loaded, nowMs, randomId);
    } catch (failure) {
      poisonOnPanic(failure);
      logEdge("error", failure.code ?? "decide_failed", `page passed through unchanged: ${failure.message}`);
      return response;
    }
    return rewriteHtml(personalizedResponse(response, page.setCookies), page.serial, page.rendered);
  }

  async function handleAction(request, url, env, nowMs) {
    if (request.method !== "POST") {
      return new Response("perso: this endpoint accepts POST only\n", { status: 405, headers: { allow: "POST" } });
    }
    const form = await readForm(request);
    const returnPath = safeReturnPath(form?.get("return"));
    if (!form) return seeOther(returnPath, []);
    const action = url.pathname.slice(ACTION_PATH.length);
    try {
      const { engine, campaigns } = await loadBundle(env, nowMs);
      const perso = persoApi();
      const cookies = readCookies(request.headers.get("cookie"));
      if (!mayPersist(consentOf(request.headers, cookies[COOKIE.consent]))) return seeOther(returnPath, []);
      const stored = await readStateCookie(cookies[COOKIE.state], stateKey(env), perso.parseVisitorState);
      if (stored?.error) logEdge("warn", "state_cookie_rejected", stored.error);
      let state = stored?.state ?? perso.newVisitorState(randomId(), nowMs);
      if (action === "dismiss") {
        const campaign = form.get("campaign");
        if (!campaigns.has(campaign)) return seeOther(returnPath, []);
        state = engine.recordDismissal(state, campaign, nowMs);
      } else if (action === "register") {
        state = perso.register(state, answeredInterests(form, campaigns), nowMs);
      } else {
        return new Response("perso: unknown action\n", { status: 404 });
      }
      const value = await writeStateCookie(state, stored?.ackedMs ?? 0, stateKey(env));
      const secure = url.protocol === "https:";
      return seeOther(returnPath, value ? [setCookie(COOKIE.state, value, { maxAgeS: STATE_MAX_AGE_S, secure })] : []);
    } catch (failure) {
      poisonOnPanic(failure);
      logEdge("error", failure.code ?? "action_failed", `${action}: ${failure.message}`);
      return seeOther(returnPath, []);
    }
  }

  return { fetch: fetchPage };
}

function stateKey(env) {
  const key = env.PERSO_STATE_KEY;
  if (typeof key !== "string" || key.length < 16) {
    const error = new Error("PERSO_STATE_KEY must be a secret of at least 16 characters");
    error.code = "config";
    throw error;
  }
  return key;
}

/** The request to the origin: unchanged, or re-addressed to PERSO_ORIGIN. */
function toOrigin(request, url, env) {
  if (!env.PERSO_ORIGIN) return request;
  // Set the path on the origin's URL: resolving "//host/x" against it would change host.
  const target = new URL(env.PERSO_ORIGIN);
  target.pathname = url.pathname;
  target.search = url.search;
  return new Request(target, request);
}

function isPersonalizable(response) {
  if (response.status !== 200 || response.body === null) return false;
  const type = (response.headers.get("content-type") ?? "").toLowerCase();
  if (!HTML_TYPES.some((html) => type.startsWith(html))) return false;
  return !/(^|,)\s*no-transform\s*(,|$)/i.test(response.headers.get("cache-control") ?? "");
}

/**
 * Decides for this page: the state (verified cookie + browser events + this page
 * view), the context from the request, the decision, the markup of each placement
 * shown now, and the Set-Cookie headers.
 */
async function decidePage(request, url, env, { engine, campaigns }, nowMs, randomId) {
  const perso = persoApi();
  const cookies = readCookies(request.headers.get("cookie"));
  const consent = consentOf(request.headers, cookies[COOKIE.consent]);
  const persist = mayPersist(consent);

  let state = null;
  let ackedMs = 0;
  if (persist) {
    const stored = await readStateCookie(cookies[COOKIE.state], stateKey(env), perso.parseVisitorState);
    if (stored?.error) logEdge("warn", "state_cookie_rejected", stored.error);
    else if (stored) ({ state, ackedMs } = stored);
  }
  state ??= perso.newVisitorState(randomId(), nowMs);
  if (persist) {
    const client = readClientEvents(cookies[COOKIE.client], campaigns);
    if (client?.error) logEdge("warn", "client_cookie_rejected", client.error);
    else if (client) ({ state, ackedMs } = applyClientEvents(client.events, state, ackedMs, nowMs, engine, perso));
  }

  const customer = await readCustomerCookie(cookies[COOKIE.customer], env.PERSO_CUSTOMER_KEY, nowMs);
  if (customer?.error) logEdge("warn", "customer_cookie_rejected", customer.error);
  const cart = readCartCookie(cookies[COOKIE.cart]);
  if (cart?.error) logEdge("warn", "cart_cookie_rejected", cart.error);
  const { context, pageView } = contextFromRequest(request, url, {
    consent,
    customer: customer?.customer,
    cart: cart?.cart,
    pageTypes: pageTypeTable(env.PERSO_PAGE_TYPES),
  });

  state = perso.pageView(state, pageView, nowMs);
  const decision = engine.decide(context, state, nowMs);
  const options = {
    nowMs,
    returnPath: url.pathname + url.search,
    actionPath: ACTION_PATH,
    locale: env.PERSO_LOCALE || "en-US",
    currency: env.PERSO_CURRENCY || "USD",
  };
  const rendered = new Map();
  for (const placed of decision.placements) {
    // Client-only triggers (dwell, idle, scroll, exit intent, add to cart) are the
    // browser runtime's: the slot keeps its default content here.
    if (placed.trigger?.on !== "now") continue;
    const html = renderPlacement(placed, options);
    if (html === null) continue;
    rendered.set(placed.placement, { placed, html });
    state = engine.recordImpression(state, placed.campaign, nowMs);
  }

  const setCookies = [];
  const secure = url.protocol === "https:";
  if (persist) {
    const value = await writeStateCookie(state, ackedMs, stateKey(env));
    if (value) setCookies.push(setCookie(COOKIE.state, value, { maxAgeS: STATE_MAX_AGE_S, secure }));
    else logEdge("warn", "state_too_large", "visitor state does not fit the cookie even without campaign records");
  } else if (cookies[COOKIE.state] !== undefined) {
    setCookies.push(expireCookie(COOKIE.state, { secure }));
  }
  return { serial: decision.serial, rendered, setCookies };
}

/** Headers of a personalized page: never stored by a shared cache. */
function personalizedResponse(response, setCookies) {
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
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
