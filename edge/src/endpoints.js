// The worker's own endpoints under /.perso/ (docs/edge-deploy.md §1.5): the no-JS
// fallbacks of the dismiss button and the registration form. They only change the
// visitor's own signed state, and only from the store's own pages: a form on another
// site must not be able to replace a shopper's state (that took over affiliate
// attribution), so cross-site posts are refused, and a post without a valid state
// cookie changes nothing (it never mints a fresh state).

import { MAX_FORM_BYTES } from "./limits.js";
import { readAtMost } from "../../js/src/kit/read-capped.js";

/** A same-site path to return to, or "/". */
export function safeReturnPath(value) {
  if (typeof value !== "string" || value.length > 512 || !value.startsWith("/") || value.startsWith("//") || value.includes("\\")) return "/";
  return /^[\x21-\x7e]*$/.test(value) ? value : "/";
}

/**
 * null when the post comes from the store's own origin, else the reason it is refused.
 * Browsers send `Sec-Fetch-Site` (all current ones) or at least `Origin` on a form
 * post; a post with neither is refused too (a browser old enough to send neither
 * falls back on the browser runtime, which does not use these endpoints).
 */
export function crossSiteReason(request, url) {
  const site = request.headers.get("sec-fetch-site");
  if (site !== null) return site === "same-origin" ? null : `Sec-Fetch-Site: ${site.slice(0, 16)}`;
  const origin = request.headers.get("origin");
  if (origin !== null) return origin === url.origin ? null : "Origin of another site";
  return "neither Sec-Fetch-Site nor Origin";
}

/**
 * The form fields, or `{ error, status }`. The body is read with a byte cap whatever
 * Content-Length says (a chunked body has none): at most MAX_FORM_BYTES are pulled.
 */
export async function readForm(request) {
  const type = request.headers.get("content-type") ?? "";
  if (!type.startsWith("application/x-www-form-urlencoded")) return { error: "not a form (application/x-www-form-urlencoded)", status: 415 };
  const declared = Number(request.headers.get("content-length"));
  if (declared > MAX_FORM_BYTES) return { error: `form of ${declared} bytes, over the ${MAX_FORM_BYTES} limit`, status: 413 };
  const read = await readAtMost(request.body, MAX_FORM_BYTES);
  if (!read.complete) {
    await read.reader.cancel().catch(() => {});
    return { error: `form over the ${MAX_FORM_BYTES}-byte limit`, status: 413 };
  }
  try {
    return { form: new URLSearchParams(new TextDecoder("utf-8", { fatal: true }).decode(read.bytes)) };
  } catch {
    return { error: "form is not UTF-8", status: 400 };
  }
}

/**
 * The answers of a registration form: the values of the fields named by the bundle's
 * question ids (`return` and anything else are not answers). The engine keeps only the
 * values its questions offer (`register`).
 */
export function formAnswers(form, questionIds) {
  const answers = [];
  for (const id of questionIds) {
    for (const answer of form.getAll(id)) if (!answers.includes(answer)) answers.push(answer);
  }
  return answers;
}

export function seeOther(location, setCookies) {
  const headers = new Headers({ location, "cache-control": "private, no-store" });
  for (const cookie of setCookies) headers.append("set-cookie", cookie);
  return new Response(null, { status: 303, headers });
}

/** A short plain-text refusal (the endpoints answer the shopper's browser, never the origin). */
export function refuse(status, message) {
  return new Response(`perso: ${message}\n`, { status, headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" } });
}
