// The request the worker sends to the store's origin: the shopper's request with
// perso's own device cookies taken out (what the device knows stays between the
// device and the worker), re-addressed to PERSO_ORIGIN.
//
// Host: runtimes set the Host of a subrequest from its URL and ignore a Host header,
// so with PERSO_ORIGIN = URL the origin sees that URL's host, and the public host in
// X-Forwarded-Host (with X-Forwarded-Proto), which origin frameworks read behind a
// proxy. With PERSO_ORIGIN = "route" (the worker on a Cloudflare route) the request
// keeps its own URL, so the zone's origin receives the public Host unchanged.

import { COOKIE } from "../../js/src/kit/cookies.js";

/**
 * Cookies perso writes and reads on the device; never forwarded. The store's own
 * cookies pass, as do `perso_customer` (the store's server wrote it) and
 * `perso_consent` (the store's consent banner wrote it).
 */
export const DEVICE_COOKIES = new Set([COOKIE.state, COOKIE.client, COOKIE.cart]);

/** The Cookie header without perso's device cookies; null when nothing is left. */
export function withoutDeviceCookies(header) {
  if (!header) return null;
  const kept = header.split(";").filter((part) => {
    const eq = part.indexOf("=");
    const name = (eq < 0 ? part : part.slice(0, eq)).trim();
    return name !== "" && !DEVICE_COOKIES.has(name);
  });
  return kept.length > 0 ? kept.map((part) => part.trim()).join("; ") : null;
}

/** The origin request for `request` (public URL `url`), per originConfig(). */
export function originRequest(request, url, origin) {
  const headers = new Headers(request.headers);
  const cookie = withoutDeviceCookies(headers.get("cookie"));
  if (cookie === null) headers.delete("cookie");
  else headers.set("cookie", cookie);
  let target = url;
  if (!origin.route) {
    // Set the path on the origin's URL: resolving "//host/x" against it would change host.
    target = new URL(origin.base);
    target.pathname = url.pathname;
    target.search = url.search;
    headers.set("x-forwarded-host", url.host);
    headers.set("x-forwarded-proto", url.protocol.slice(0, -1));
  }
  const hasBody = request.method !== "GET" && request.method !== "HEAD";
  return new Request(target, { method: request.method, headers, body: hasBody ? request.body : null, redirect: "manual" });
}
