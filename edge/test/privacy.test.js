// What reaches the origin and what stays on the device (issues 9 and 13): perso's
// device cookies are not forwarded, the public host is, PERSO_ORIGIN is required, and
// the worker has the browser runtime's consent modes. Real HTTP through workerd.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startEdge, T0, renderedCampaign } from "./harness.js";
import { GADGETS_REFERER, cartCookie, clientCookie } from "./helpers.js";

let edge;
before(async () => {
  edge = await startEdge();
});
after(() => edge?.close());

const lastOriginRequest = (target, path) => target.origin.requests.filter((r) => r.path === path).at(-1);

test("perso's device cookies never reach the origin; the store's own cookies do, unchanged", async () => {
  const shopper = edge.visitor({ headers: { referer: GADGETS_REFERER } });
  await shopper.get("/", { at: T0 });
  shopper.jar.set("perso_client", clientCookie([{ t: "register", interests: ["audio"], at: T0 + 1000 }]));
  shopper.jar.set("perso_cart", cartCookie([{ sku: "HP-100", qty: 1 }]));
  const storeCookies = "session=s3cr3t; theme=dark";
  for (const path of ["/", "/style.css", "/missing"]) {
    await shopper.get(path, { at: T0 + 2000, headers: { cookie: `session=s3cr3t; ${shopper.cookieHeader()}; theme=dark; perso_consent=granted` } });
    assert.equal(lastOriginRequest(edge, path).headers.cookie, `${storeCookies}; perso_consent=granted`, path);
  }
  await shopper.get("/search", { method: "POST", at: T0 + 2000, headers: { cookie: `${shopper.cookieHeader()}; session=s3cr3t`, "content-type": "text/plain" }, body: "q" });
  assert.equal(lastOriginRequest(edge, "/search").headers.cookie, "session=s3cr3t", "other methods too");
  await shopper.get("/", { at: T0 + 3000 });
  assert.equal(lastOriginRequest(edge, "/").headers.cookie, undefined, "only perso cookies: no Cookie header at all");
  // The origin learns the public host it is served under.
  const seen = lastOriginRequest(edge, "/").headers;
  assert.equal(seen["x-forwarded-host"], new URL(edge.url).host);
  assert.equal(seen["x-forwarded-proto"], "http");
  assert.equal(seen.host, new URL(edge.origin.url).host);
});

test("PERSO_ORIGIN is required and checked: a clear 502, never a request to the worker itself", { timeout: 20_000 }, async () => {
  for (const [value, reason] of [[undefined, /PERSO_ORIGIN is not set/], ["ftp://origin.example", /http: or https:/], ["https://origin.example/shop", /origin only/], ["not a url", /is not a URL/]]) {
    const broken = await startEdge({ bindings: { PERSO_ORIGIN: value } });
    try {
      const response = await fetch(new URL("/", broken.url), { headers: { "x-test-now": String(T0) } });
      assert.equal(response.status, 502, String(value));
      assert.match(await response.text(), reason, String(value));
      assert.match(broken.logged("config")[0].message, reason);
    } finally {
      await broken.close();
    }
  }
});

test('PERSO_CONSENT="required": decides from the request alone and stores nothing until the consent cookie says granted; GPC always wins', async () => {
  const required = await startEdge({ bindings: { PERSO_CONSENT: "required" } });
  try {
    const shopper = required.visitor({ headers: { referer: GADGETS_REFERER } });
    const page = await shopper.get("/", { at: T0 });
    assert.equal(renderedCampaign(page.text, "hero"), "aff-hero", "the request's own referrer still applies");
    assert.deepEqual(page.headers.getSetCookie(), [], "no state cookie without consent");

    const granted = required.visitor({ headers: { referer: GADGETS_REFERER } });
    const grantedPage = await granted.get("/", { at: T0, headers: { cookie: "perso_consent=granted" } });
    assert.ok(grantedPage.headers.getSetCookie().some((c) => c.startsWith("perso_state=v1.")), "stored once granted");
    const state = granted.jar.get("perso_state");

    // A state cookie from before, without the consent cookie now: expired, not read.
    const withdrawn = await granted.get("/category/audio", { at: T0 + 20_000, headers: { cookie: `perso_state=${state}` } });
    assert.ok(withdrawn.headers.getSetCookie().some((c) => /^perso_state=; .*Max-Age=0/.test(c)));
    assert.equal(renderedCampaign(withdrawn.text, "popup"), null, "nothing carried over");

    const gpc = await required.visitor().get("/", { at: T0, headers: { cookie: "perso_consent=granted", "sec-gpc": "1", referer: GADGETS_REFERER } });
    assert.deepEqual(gpc.headers.getSetCookie(), [], "GPC wins over a granted consent cookie");

    const dismissed = await required.visitor().get("/.perso/dismiss", {
      at: T0 + 5_000,
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie: `perso_state=${state}` },
      body: "campaign=aff-offer&return=%2F",
    });
    assert.equal(dismissed.status, 303);
    assert.deepEqual(dismissed.headers.getSetCookie(), [], "the no-JS endpoints store nothing without consent either");
  } finally {
    await required.close();
  }

  // The default is "implied", as in the browser: stored unless denied.
  const implied = await edge.visitor().get("/", { at: T0 });
  assert.ok(implied.headers.getSetCookie().some((c) => c.startsWith("perso_state=v1.")));
  const denied = await edge.visitor().get("/", { at: T0, headers: { cookie: "perso_consent=denied" } });
  assert.deepEqual(denied.headers.getSetCookie(), []);

  const typo = await startEdge({ bindings: { PERSO_CONSENT: "requird" } });
  try {
    const page = await typo.visitor().get("/", { at: T0 });
    assert.doesNotMatch(page.text, /data-perso-edge/, "a wrong mode is not silently 'implied'");
    assert.match(typo.logged("config")[0].message, /PERSO_CONSENT must be "implied" or "required"/);
  } finally {
    await typo.close();
  }
});
