// Never break the page: what passes through untouched, and what the worker does
// with a tampered, expired or unreachable bundle, forged, huge or malformed cookies,
// missing headers, Global Privacy Control, and its no-JS dismiss endpoint.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startOrigin } from "./fixtures/origin.js";
import { startEdge, T0, BUNDLE_BIN, BUNDLE_TEXT, CUSTOMER_KEY, STATE_KEY, STATE_KID, base64, compileBundle, generateSigner, renderedCampaign } from "./harness.js";
import { ADA, GADGETS_REFERER, clientCookie, cartCookie, encodeBase64Url, stateBytes, statePayload } from "./helpers.js";
import { mintCustomerCookie } from "../src/customer-cookie.js";
import { encodeJsonBase64Url, signValue } from "../../js/src/kit/cookies.js";

/** The Gizmos bundle with one offer's code changed, compiled (what an attacker would serve with the real .sig). */
const TAMPERED = compileBundle(BUNDLE_TEXT.replace("Welcome, Gadgets.com readers", "Welcome, tampered readers"));
if (Buffer.from(TAMPERED).equals(Buffer.from(BUNDLE_BIN))) throw new Error("the tampered bundle must differ from the signed one");

let edge;
before(async () => {
  edge = await startEdge();
});
after(() => edge?.close());

async function direct(path, init) {
  const response = await fetch(`${edge.origin.url}${path}`, init);
  return { headers: response.headers, body: Buffer.from(await response.arrayBuffer()) };
}

async function viaWorker(base, path, init = {}) {
  const response = await fetch(new URL(path, base), init);
  return { status: response.status, headers: response.headers, body: Buffer.from(await response.arrayBuffer()) };
}

test("non-HTML, error pages, no-transform and POST pass through untouched", async () => {
  for (const path of ["/style.css", "/api/stock.json", "/img/logo.svg", "/missing", "/no-transform"]) {
    const origin = await direct(path);
    const worker = await viaWorker(edge.url, path, { headers: { referer: GADGETS_REFERER, "x-test-now": String(T0) } });
    assert.deepEqual(worker.body, origin.body, path);
    assert.equal(worker.headers.get("cache-control"), origin.headers.get("cache-control"), path);
    assert.deepEqual(worker.headers.getSetCookie(), [], path);
  }
  // A path that looks like a host stays a path on the origin (no open proxy).
  const sneaky = await fetch(`${edge.url.origin}//evil.example/style.css`);
  assert.equal(sneaky.status, 404);
  assert.equal(edge.origin.requests.at(-1).path, "//evil.example/style.css");
  const posted = await viaWorker(edge.url, "/", { method: "POST", body: "q=1", headers: { referer: GADGETS_REFERER } });
  assert.deepEqual(posted.body, (await direct("/")).body);
});

async function assertPassThrough(base, logged, code) {
  const worker = await viaWorker(base, "/", { headers: { referer: GADGETS_REFERER, "x-test-now": String(T0) } });
  const origin = await direct("/");
  assert.equal(worker.status, 200);
  assert.deepEqual(worker.body.toString(), origin.body.toString(), "the original page, byte for byte");
  assert.equal(worker.headers.get("cache-control"), "public, max-age=600");
  assert.equal(worker.headers.get("etag"), '"origin-etag-1"');
  assert.deepEqual(worker.headers.getSetCookie(), []);
  assert.ok(logged(code).length >= 1, `logged ${code}: ${JSON.stringify(edge.logs)}`);
}

test("a tampered bundle: the page passes through unchanged and the failure is logged", async () => {
  const tampered = await startEdge({ bindings: { PERSO_BUNDLE: base64(TAMPERED) } });
  try {
    const worker = await viaWorker(tampered.url, "/", { headers: { referer: GADGETS_REFERER } });
    assert.deepEqual(worker.body.toString(), (await fetch(`${tampered.origin.url}/`).then((r) => r.text())));
    assert.equal(worker.headers.get("cache-control"), "public, max-age=600");
    const [entry] = tampered.logged("signature_mismatch");
    assert.match(entry.message, /signature does not match its content or key/);
    assert.equal(entry.level, "error");
  } finally {
    await tampered.close();
  }
});

test("bundle signed by an untrusted key, unknown kid, or missing signature: pass-through", async () => {
  const stranger = await generateSigner("other");
  const cases = [
    // A key trusted whatever the kid (one raw key): another key's signature does not verify.
    { bindings: { PERSO_BUNDLE_SIG: await stranger.sign(BUNDLE_BIN) }, code: "signature_mismatch" },
    { bindings: { PERSO_PUBLIC_KEYS: `prod-2:${stranger.publicKey}` }, code: "signature_untrusted" },
    { bindings: { PERSO_BUNDLE_SIG: "{not json" }, code: "signature_invalid" },
    { bindings: { PERSO_BUNDLE_SIG: undefined }, code: "signature_missing" },
    { bindings: { PERSO_PUBLIC_KEYS: "not-a-key" }, code: "config" },
  ];
  for (const { bindings, code } of cases) {
    const broken = await startEdge({ bindings });
    try {
      const worker = await viaWorker(broken.url, "/", { headers: { referer: GADGETS_REFERER } });
      assert.doesNotMatch(worker.body.toString(), /data-perso-edge|data-perso-rendered/, code);
      assert.equal(broken.logged(code).length, 1, `${code} logged once: ${broken.logs.join("\n")}`);
      await viaWorker(broken.url, "/category/audio");
      assert.equal(broken.logged(code).length, 1, "the same failure is not logged on every request");
    } finally {
      await broken.close();
    }
  }
});

test("a JSON bundle (the source) is refused with the way out: compile it with perso publish", async () => {
  // Inline: the JSON text where the compiled bundle's base64 belongs, validly signed.
  const signer = await generateSigner();
  const inline = await startEdge({ bindings: { PERSO_BUNDLE: BUNDLE_TEXT, PERSO_BUNDLE_SIG: await signer.sign(BUNDLE_TEXT), PERSO_PUBLIC_KEYS: signer.publicKey } });
  try {
    await assertPassThrough(inline.url, inline.logged, "bundle_format");
    assert.match(inline.logged("bundle_format")[0].message, /PERSO_BUNDLE is a JSON bundle .*perso publish.*bundle\.bin/);
  } finally {
    await inline.close();
  }
  // Fetched: a PERSO_BUNDLE_URL still pointing at bundle.json (and its valid .sig).
  const jsonOrigin = await startOrigin({});
  jsonOrigin.custom.set("/perso/bundle.json", { headers: { "content-type": "application/json" }, body: Buffer.from(BUNDLE_TEXT) });
  jsonOrigin.custom.set("/perso/bundle.json.sig", { headers: { "content-type": "application/json" }, body: Buffer.from(await signer.sign(BUNDLE_TEXT)) });
  const fetched = await startEdge({
    bindings: { PERSO_BUNDLE: undefined, PERSO_BUNDLE_SIG: undefined, PERSO_PUBLIC_KEYS: signer.publicKey, PERSO_BUNDLE_URL: `${jsonOrigin.url}/perso/bundle.json` },
  });
  try {
    await assertPassThrough(fetched.url, fetched.logged, "bundle_format");
    assert.match(fetched.logged("bundle_format")[0].message, /is a JSON bundle .*perso publish/);
  } finally {
    await fetched.close();
    await jsonOrigin.close();
  }
});

test("the compiled bundle inline as bytes (a Data module or binary binding) works as its base64 does", async () => {
  const signer = await generateSigner();
  const bytes = await startEdge({
    bindings: { PERSO_BUNDLE_SIG: await signer.sign(BUNDLE_BIN), PERSO_PUBLIC_KEYS: signer.publicKey },
    dataBlobs: { PERSO_BUNDLE: new Uint8Array(BUNDLE_BIN) },
  });
  try {
    const page = await bytes.visitor().get("/", { at: T0, headers: { referer: GADGETS_REFERER } });
    assert.equal(renderedCampaign(page.text, "hero"), "aff-hero");
  } finally {
    await bytes.close();
  }
});

test("a bundle under which the engine traps twice is quarantined in the isolate: pages pass through unchanged", async () => {
  const own = await startEdge();
  try {
    const page = () => viaWorker(own.url, "/", { headers: { referer: GADGETS_REFERER, "x-test-now": String(T0) } });
    const trap = () => fetch(new URL("/__test/trap", own.url), { headers: { "x-test-now": String(T0) } }).then((r) => r.json());
    assert.deepEqual(await trap(), { trapped: true, quarantined: false });
    assert.equal(renderedCampaign((await page()).body.toString(), "hero"), "aff-hero", "after one trap the bundle is loaded again");
    assert.deepEqual(await trap(), { trapped: true, quarantined: true });
    const passed = await page();
    assert.equal(passed.body.toString(), (await fetch(`${own.origin.url}/`).then((r) => r.text())), "the origin's page, unchanged");
    assert.deepEqual(passed.headers.getSetCookie(), []);
    assert.match(own.logged("bundle_quarantined")[0].message, /bundle serial 1 made the engine trap 2 times/);
  } finally {
    await own.close();
  }
});

test("the bundle fetched from a URL with its .sig: verified, kept in memory, key rotation by kid, no rollback", async () => {
  const signer = await generateSigner("prod-2");
  const bundleOrigin = await startOrigin({ bundle: compileBundle(BUNDLE_TEXT.replace('"serial": 1', '"serial": 2')), signature: null });
  bundleOrigin.files.signature = await signer.sign(bundleOrigin.files.bundle);
  const edgeWithUrl = await startEdge({
    bindings: {
      PERSO_BUNDLE: undefined,
      PERSO_BUNDLE_SIG: undefined,
      PERSO_PUBLIC_KEYS: `prod-1:${(await generateSigner()).publicKey} prod-2:${signer.publicKey}`,
      PERSO_BUNDLE_URL: `${bundleOrigin.url}/perso/bundle.bin`,
      PERSO_BUNDLE_TTL_S: "300",
    },
  });
  const bundleFetches = () => bundleOrigin.requests.filter((r) => r.path.startsWith("/perso/bundle.bin")).length;
  try {
    const page = await edgeWithUrl.visitor().get("/", { at: T0, headers: { referer: GADGETS_REFERER } });
    assert.equal(renderedCampaign(page.text, "hero"), "aff-hero");
    assert.match(page.text, /data-perso-edge="2"/);
    await edgeWithUrl.visitor().get("/", { at: T0 + 1000 });
    assert.equal(bundleFetches(), 2, "bundle and signature fetched once, then kept in memory");

    // After the TTL the URL serves a tampered bundle: the last good bundle stays in use.
    bundleOrigin.files.bundle = compileBundle(BUNDLE_TEXT.replace('"serial": 1', '"serial": 2').replace("Welcome, Gadgets.com readers", "Hacked"));
    // (The refresh runs in the background: wait for it, not for time.)
    const settled = () => fetch(new URL("/__test/bundle-settled", edgeWithUrl.url)).then((r) => r.json());
    const tampered = await edgeWithUrl.visitor().get("/", { at: T0 + 400_000, headers: { referer: GADGETS_REFERER } });
    assert.match(tampered.text, /Welcome, Gadgets.com readers/);
    await settled();
    assert.equal(edgeWithUrl.logged("signature_mismatch").length, 1);

    // Later still, an older bundle (serial 1), validly signed: a rollback, refused.
    bundleOrigin.files.bundle = BUNDLE_BIN;
    bundleOrigin.files.signature = await signer.sign(BUNDLE_BIN);
    const rolledBack = await edgeWithUrl.visitor().get("/", { at: T0 + 800_000, headers: { referer: GADGETS_REFERER } });
    assert.match(rolledBack.text, /data-perso-edge="2"/, "serial 2 stays in use");
    await settled();
    assert.equal(edgeWithUrl.logged("rollback").length, 1);
  } finally {
    await edgeWithUrl.close();
    await bundleOrigin.close();
  }
});

test("a bundle past its expiry is refused: pages pass through unchanged", async () => {
  const expired = await viaWorker(edge.url, "/", { headers: { referer: GADGETS_REFERER, "x-test-now": String(Date.parse("2028-02-01T00:00:00Z")) } });
  assert.equal(expired.body.toString(), (await direct("/")).body.toString());
  assert.equal(edge.logged("expired").length, 1);
});

test("a forged state cookie is ignored: the visitor starts afresh, nothing is granted", async () => {
  const honest = edge.visitor();
  await honest.get("/", { at: T0 });
  const [version, , mac] = honest.jar.get("perso_state").split(".");
  const honestState = statePayload(honest.jar.get("perso_state"));
  const forgedState = { ...honestState.state, session: { ...honestState.state.session, ref_host: "gadgets.com" }, interests: ["audio"], registered: true };
  const forgedPayload = { s: encodeBase64Url(stateBytes(forgedState)), acked_ms: honestState.acked_ms, kid: honestState.kid, iat: honestState.iat };
  const forger = edge.visitor();
  forger.jar.set("perso_state", `${version}.${encodeJsonBase64Url(forgedPayload)}.${mac}`);
  const page = await forger.get("/category/audio", { at: T0 + 20_000 });
  assert.equal(renderedCampaign(page.text, "hero"), null, "no affiliate hero from a forged attribution");
  assert.equal(renderedCampaign(page.text, "popup"), null);
  assert.match(edge.logged("state_cookie_rejected").at(-1).message, /MAC does not match/);
  const fresh = statePayload(forger.jar.get("perso_state")).state;
  assert.notEqual(fresh.id, forgedState.id);
  assert.deepEqual(fresh.interests ?? [], []);

  // A value correctly signed for another cookie name cannot be replayed as the state.
  const replayed = edge.visitor();
  replayed.jar.set("perso_state", await signValue("perso_customer", forgedPayload, STATE_KEY));
  const replayedPage = await replayed.get("/category/audio", { at: T0 + 20_000 });
  assert.equal(renderedCampaign(replayedPage.text, "hero"), null);
});

test("a forged, re-tiered, expired or wrongly keyed customer cookie grants nothing", async () => {
  const low = await mintCustomerCookie({ first_name: "Bob", ltv_band: "low", rfm: { score: 6 } }, CUSTOMER_KEY, { expiresAtMs: T0 + 3_600_000 });
  const lowPage = await edge.visitor().get("/", { at: T0, headers: { cookie: `perso_customer=${low}` } });
  assert.equal(renderedCampaign(lowPage.text, "greeting"), "hv-welcome");
  assert.equal(renderedCampaign(lowPage.text, "popup"), null, "a low-value customer gets no free shipping");

  const [version, , mac] = low.split(".");
  const promoted = `${version}.${encodeJsonBase64Url({ known: true, first_name: "Bob", ltv_band: "top", exp: T0 + 3_600_000 })}.${mac}`;
  const wrongKey = await mintCustomerCookie(ADA, "not-the-store-secret-000000", { expiresAtMs: T0 + 3_600_000 });
  const expired = await mintCustomerCookie(ADA, CUSTOMER_KEY, { expiresAtMs: T0 - 1 });
  for (const [label, value, reason] of [["re-tiered", promoted, /MAC does not match/], ["wrong key", wrongKey, /MAC does not match/], ["expired", expired, /expired/]]) {
    const page = await edge.visitor().get("/", { at: T0, headers: { cookie: `perso_customer=${value}` } });
    assert.equal(renderedCampaign(page.text, "popup"), null, label);
    assert.equal(renderedCampaign(page.text, "greeting"), null, label);
    assert.match(edge.logged("customer_cookie_rejected").at(-1).message, reason, label);
  }
});

test("huge or malformed cookies are bounded and ignored; the page is still personalized", async () => {
  const junk = "A".repeat(3900);
  const cases = [
    ["huge state", `perso_state=v1.${junk}.x`, "state_cookie_rejected", /over the 3800 limit/],
    ["huge cookie header", `big=${"z".repeat(3000)}; perso_state=v1.${"B".repeat(5000)}.x`, "state_cookie_rejected", /over the 3800 limit/],
    ["not a perso value", "perso_state=hello", "state_cookie_rejected", /expected v1/],
    ["other version", "perso_state=v9.abc.def", "state_cookie_rejected", /unsupported version/],
    ["bad base64", "perso_state=v1.!!!.AAAA", "state_cookie_rejected", /malformed MAC/],
    ["customer not JSON", "perso_customer=v1.e30.!!", "customer_cookie_rejected", /malformed MAC/],
    ["client events not JSON", "perso_client=v1.bm90IGpzb24", "client_cookie_rejected", /not base64url JSON/],
    ["too many events", `perso_client=${clientCookie(Array.from({ length: 40 }, (_, i) => ({ t: "dismiss", c: "aff-offer", at: i })))}`, "client_cookie_rejected", /over the 2048 limit|over the 16 limit/],
    ["cart of 500 lines", `perso_cart=${cartCookie(Array.from({ length: 500 }, () => ({ sku: "HP-100" })))}`, "cart_cookie_rejected", /over the 2048 limit/],
    ["cart line without sku", `perso_cart=${cartCookie([{ qty: 2 }])}`, "cart_cookie_rejected", /items\[0\]\.sku must be text/],
  ];
  for (const [label, cookie, code, reason] of cases) {
    const page = await edge.visitor().get("/", { at: T0, headers: { cookie, referer: GADGETS_REFERER } });
    assert.equal(page.status, 200, label);
    assert.equal(renderedCampaign(page.text, "hero"), "aff-hero", label);
    assert.match(edge.logged(code).at(-1).message, reason, label);
    const issued = page.headers.getSetCookie().find((c) => c.startsWith("perso_state="));
    assert.ok(issued && issued.length < 4096, `${label}: a fresh, bounded state cookie`);
  }
  // A state the engine refuses (another state version inside a valid MAC).
  const wrongVersion = await signValue("perso_state", { s: encodeBase64Url(new Uint8Array([7, 1, 2, 3])), acked_ms: 0, kid: STATE_KID, iat: T0 }, STATE_KEY);
  const page = await edge.visitor().get("/", { at: T0, headers: { cookie: `perso_state=${wrongVersion}` } });
  assert.equal(page.status, 200);
  assert.match(edge.logged("state_cookie_rejected").at(-1).message, /version/);
});

test("missing or odd headers: no User-Agent, language, Referer or cookies still personalizes", async () => {
  const bare = await fetch(new URL("/", edge.url), { headers: { "x-test-now": String(T0), "user-agent": "" } });
  const text = await bare.text();
  assert.equal(bare.status, 200);
  assert.match(text, /data-perso-edge="1"/);
  assert.match(text, /DEFAULT-HERO/);
  const full = await edge.visitor().get("/?utm_source=news&utm_medium=email", {
    at: T0,
    headers: { referer: GADGETS_REFERER, "cf-ipcountry": "CA", "user-agent": "Mozilla/5.0 (iPhone) Mobile", "sec-ch-ua-mobile": "?1", "accept-language": "fr-CA,fr;q=0.8" },
  });
  assert.equal(renderedCampaign(full.text, "hero"), "aff-hero", "every header present");
  for (const referer of ["not a url", "javascript:alert(1)", "ftp://gadgets.com/", "x".repeat(5000)]) {
    const page = await edge.visitor().get("/", { at: T0, headers: { referer } });
    assert.equal(page.status, 200, referer.slice(0, 20));
    assert.equal(renderedCampaign(page.text, "hero"), null, referer.slice(0, 20));
  }
});

test("Global Privacy Control: decides for this page only, persists nothing", async () => {
  const shopper = edge.visitor({ headers: { "sec-gpc": "1" } });
  const page = await shopper.get("/", { at: T0, headers: { referer: GADGETS_REFERER } });
  assert.equal(renderedCampaign(page.text, "hero"), "aff-hero", "the current request's own referrer still applies");
  assert.deepEqual(page.headers.getSetCookie(), []);
  const later = await shopper.get("/category/audio", { at: T0 + 20_000 });
  assert.equal(renderedCampaign(later.text, "hero"), null, "nothing carried over");
});

test("dismissals: the no-JS form and the browser runtime's events keep a dismissed offer away", async () => {
  const noJs = edge.visitor({ headers: { referer: GADGETS_REFERER } });
  await noJs.get("/", { at: T0 });
  const offered = await noJs.get("/category/audio", { at: T0 + 20_000 });
  assert.equal(renderedCampaign(offered.text, "popup"), "aff-offer");
  const dismissed = await noJs.get("/.perso/dismiss", {
    at: T0 + 25_000,
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: "campaign=aff-offer&return=%2Fcategory%2Faudio",
  });
  assert.equal(dismissed.status, 303);
  assert.equal(dismissed.headers.get("location"), "/category/audio");
  assert.ok(statePayload(noJs.jar.get("perso_state")).state.campaigns.find((c) => c.id === "aff-offer").dismissed_ms);

  const withJs = edge.visitor({ headers: { referer: GADGETS_REFERER } });
  await withJs.get("/", { at: T0 });
  await withJs.get("/category/audio", { at: T0 + 20_000 });
  withJs.jar.set("perso_client", clientCookie([{ t: "dismiss", c: "aff-offer", at: T0 + 26_000 }, { t: "dismiss", c: "no-such-campaign", at: T0 + 27_000 }]));
  await withJs.get("/", { at: T0 + 30_000 });

  const control = edge.visitor({ headers: { referer: GADGETS_REFERER } });
  await control.get("/", { at: T0 });
  await control.get("/category/audio", { at: T0 + 20_000 });

  // The next day each comes back from gadgets.com and browses for 20 s.
  const day2 = T0 + 86_400_000;
  for (const [label, visitor, expected] of [["no-JS dismissal", noJs, null], ["browser dismissal", withJs, null], ["control", control, "aff-offer"]]) {
    await visitor.get("/", { at: day2 });
    const page = await visitor.get("/category/audio", { at: day2 + 20_000 });
    assert.equal(renderedCampaign(page.text, "popup"), expected, label);
  }

  const offsite = await noJs.get("/.perso/dismiss", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: "campaign=aff-offer&return=%2F%2Fevil.example%2F",
  });
  assert.equal(offsite.headers.get("location"), "/", "never redirects off-site");
  assert.equal((await noJs.get("/.perso/dismiss")).status, 405);
});

test("a panic inside the engine: the instance is replaced and the next page is personalized again", async () => {
  const page = () => viaWorker(edge.url, "/", { headers: { referer: GADGETS_REFERER, "x-test-now": String(T0) } });
  assert.equal(renderedCampaign((await page()).body.toString(), "hero"), "aff-hero");
  const trap = await (await fetch(new URL("/__test/trap", edge.url))).json();
  assert.deepEqual(trap, { trapped: true, quarantined: false }, "one trap does not quarantine the bundle");
  assert.equal(renderedCampaign((await page()).body.toString(), "hero"), "aff-hero", "a fresh instance decides again");
});
