// The signed state cookie (issue 9): key ids and rotation without resetting visitors,
// 32-byte secrets, a bounded age, and browser event times clamped to the request's
// clock. Real HTTP to workers in workerd; each worker has its own keys.

import { test } from "node:test";
import assert from "node:assert/strict";
import { startEdge, T0, renderedCampaign } from "./harness.js";
import { GADGETS_REFERER, clientCookie, statePayload } from "./helpers.js";

const SECRET_A = "old-secret-A-0123456789abcdef-0123456789";
const SECRET_B = "new-secret-B-0123456789abcdef-0123456789";
const DAY = 86_400_000;

async function withEdges(list, run) {
  const edges = [];
  try {
    for (const bindings of list) edges.push(await startEdge({ bindings }));
    await run(...edges);
  } finally {
    for (const edge of edges) await edge.close();
  }
}

/** A visitor who landed from gadgets.com on `edge` at T0: their perso_state value. */
async function affiliateCookie(edge) {
  const visitor = edge.visitor();
  await visitor.get("/", { at: T0, headers: { referer: GADGETS_REFERER } });
  return visitor.jar.get("perso_state");
}

async function internalPage(edge, stateCookie, at) {
  const visitor = edge.visitor();
  visitor.jar.set("perso_state", stateCookie);
  const page = await visitor.get("/category/audio", { at, headers: { referer: new URL("/", edge.url).href } });
  return { page, cookie: visitor.jar.get("perso_state") };
}

test("a state key rotates without resetting visitors: old cookies verify during the rotation, then stop", async () => {
  await withEdges(
    [{ PERSO_STATE_KEYS: `old:${SECRET_A}` }, { PERSO_STATE_KEYS: `new:${SECRET_B} old:${SECRET_A}` }, { PERSO_STATE_KEYS: `new:${SECRET_B}` }],
    async (before, during, after) => {
      const issued = await affiliateCookie(before);
      const payload = statePayload(issued);
      assert.equal(payload.kid, "old");
      assert.equal(payload.iat, T0);
      assert.equal(typeof payload.acked_ms, "number", "what the browser runtime reads is still there");

      const rotated = await internalPage(during, issued, T0 + 20_000);
      assert.equal(renderedCampaign(rotated.page.text, "hero"), "aff-hero", "accepted during the rotation");
      assert.equal(statePayload(rotated.cookie).kid, "new", "re-signed with the first key");
      assert.equal(statePayload(rotated.cookie).state.id, payload.state.id, "the same visitor");

      const kept = await internalPage(after, rotated.cookie, T0 + 40_000);
      assert.equal(renderedCampaign(kept.page.text, "hero"), "aff-hero", "the re-signed cookie outlives the old key");
      const stale = await internalPage(after, issued, T0 + 40_000);
      assert.equal(renderedCampaign(stale.page.text, "hero"), null, "a cookie of a retired key is refused");
      assert.match(after.logged("state_cookie_rejected").at(-1).message, /key id "old", which is not configured/);
    },
  );
});

test("state secrets under 32 bytes are a clear config error: pages pass through, nothing is signed", async () => {
  for (const bindings of [{ PERSO_STATE_KEYS: "k1:sixteen-chars!" }, { PERSO_STATE_KEYS: undefined, PERSO_STATE_KEY: "only-twenty-four-chars!!" }, { PERSO_STATE_KEYS: "no-kid-secret-0123456789abcdef-0123456789" }]) {
    await withEdges([bindings], async (edge) => {
      const page = await edge.visitor().get("/", { at: T0, headers: { referer: GADGETS_REFERER } });
      assert.equal(page.status, 200);
      assert.doesNotMatch(page.text, /data-perso-edge/, JSON.stringify(bindings));
      assert.deepEqual(page.headers.getSetCookie(), []);
      assert.match(edge.logged("config")[0].message, /at least 32 are required|has no kid/, JSON.stringify(bindings));
    });
  }
});

test("a state cookie older than PERSO_STATE_MAX_AGE_DAYS (or issued in the future) is refused", async () => {
  await withEdges([{}, { PERSO_STATE_MAX_AGE_DAYS: "30" }], async (standard, short) => {
    const year = await affiliateCookie(standard);
    const kept = await internalPage(standard, year, T0 + 300 * DAY);
    assert.equal(statePayload(kept.cookie).state.id, statePayload(year).state.id, "300 days: the same visitor");
    const old = await internalPage(standard, year, T0 + 366 * DAY);
    assert.match(standard.logged("state_cookie_rejected").at(-1).message, /issued 366 days ago, over the 365-day limit/);
    assert.notEqual(statePayload(old.cookie).state.id, statePayload(year).state.id, "a fresh visitor");
    const ahead = await internalPage(standard, year, T0 - DAY);
    assert.match(standard.logged("state_cookie_rejected").at(-1).message, /issued in the future/);
    assert.ok(ahead.cookie);

    const month = await affiliateCookie(short);
    const recent = await internalPage(short, month, T0 + 29 * DAY);
    assert.equal(statePayload(recent.cookie).state.id, statePayload(month).state.id, "29 days: the same visitor");
    assert.equal(short.logged("state_cookie_rejected").length, 0);
    await internalPage(short, month, T0 + 31 * DAY);
    assert.match(short.logged("state_cookie_rejected").at(-1).message, /over the 30-day limit/);
    const issued = (await short.visitor().get("/", { at: T0 })).headers.getSetCookie()[0];
    assert.match(issued, /Max-Age=2592000;/, "the cookie lives as long as it is accepted");
  });
});

test("one browser event with an absurd time does not make the worker ignore every later dismissal", async () => {
  await withEdges([{}], async (edge) => {
    const shopper = edge.visitor({ headers: { referer: GADGETS_REFERER } });
    await shopper.get("/", { at: T0 });
    // The browser reports an impression stamped in the year 2255 (a broken clock).
    shopper.jar.set("perso_client", clientCookie([{ t: "impression", c: "aff-hero", at: 9e12 }]));
    await shopper.get("/", { at: T0 + 10_000 });
    const watermark = statePayload(shopper.jar.get("perso_state")).acked_ms;
    const offered = await shopper.get("/category/audio", { at: T0 + 20_000 });
    assert.equal(renderedCampaign(offered.text, "popup"), "aff-offer");
    // Then a real dismissal, reported on the next page.
    shopper.jar.set("perso_client", clientCookie([{ t: "impression", c: "aff-hero", at: 9e12 }, { t: "dismiss", c: "aff-offer", at: T0 + 26_000 }]));
    await shopper.get("/", { at: T0 + 30_000 });
    const dismissed = statePayload(shopper.jar.get("perso_state")).state.campaigns.find((c) => c.id === "aff-offer");
    assert.equal(dismissed.dismissed_ms, T0 + 26_000, "the dismissal is applied");
    // The next day the shopper comes back from gadgets.com: the offer stays away.
    shopper.jar.delete("perso_client");
    await shopper.get("/", { at: T0 + DAY });
    const nextDay = await shopper.get("/category/audio", { at: T0 + DAY + 20_000 });
    assert.equal(renderedCampaign(nextDay.text, "popup"), null);
    assert.ok(watermark <= T0 + 10_000, "the watermark stayed at the request's clock");
  });
});
