// The worker's own /.perso/ endpoints hold against other sites (issue 9): a form on
// another site cannot replace or create a shopper's state, a post without a state
// cookie changes nothing, and the form reader stops at its byte cap whatever the
// body's framing. Real HTTP to the worker in workerd.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { startEdge, T0, renderedCampaign } from "./harness.js";
import { GADGETS_REFERER, statePayload } from "./helpers.js";

let edge;
before(async () => {
  edge = await startEdge();
});
after(() => edge?.close());

const FORM = { "content-type": "application/x-www-form-urlencoded" };
const post = (visitor, action, body, headers = {}) =>
  visitor.get(`/.perso/${action}`, { at: T0 + 5_000, method: "POST", headers: { ...FORM, ...headers }, body });

test("cross-site form posts are refused: the shopper's state and attribution stay", async () => {
  const shopper = edge.visitor({ headers: { referer: GADGETS_REFERER } });
  await shopper.get("/", { at: T0 });
  const before = shopper.jar.get("perso_state");
  const register = "interests=audio&return=%2F";
  const attacks = [
    ["Sec-Fetch-Site: cross-site", { "sec-fetch-site": "cross-site" }],
    ["Sec-Fetch-Site: same-site (another subdomain)", { "sec-fetch-site": "same-site" }],
    ["Origin of another site", { origin: "https://evil.example" }],
    ["Origin null (sandboxed or data: page)", { origin: "null" }],
  ];
  for (const [label, headers] of attacks) {
    for (const [action, body] of [["register", register], ["dismiss", "campaign=aff-hero&return=%2F"]]) {
      // With SameSite=Lax a cross-site post carries no cookie: the old worker minted a new state.
      const anonymous = edge.visitor();
      const bare = await post(anonymous, action, body, headers);
      assert.equal(bare.status, 403, `${label} ${action}`);
      assert.deepEqual(bare.headers.getSetCookie(), [], `${label} ${action}: no state minted`);
      const withCookie = await post(shopper, action, body, headers);
      assert.equal(withCookie.status, 403, `${label} ${action} with the shopper's cookie`);
      assert.deepEqual(withCookie.headers.getSetCookie(), [], `${label} ${action}`);
    }
  }
  assert.equal(shopper.jar.get("perso_state"), before, "the shopper's state is untouched");
  const later = await shopper.get("/category/audio", { at: T0 + 20_000, headers: { referer: new URL("/", edge.url).href } });
  assert.equal(renderedCampaign(later.text, "hero"), "aff-hero", "the affiliate attribution holds");
  assert.ok(edge.logged("cross_site_post").length >= attacks.length * 2);
  // A post from the store's own page (what browsers send) still works.
  const own = await post(shopper, "register", "interests=audio&return=%2F", { "sec-fetch-site": "same-origin" });
  assert.equal(own.status, 303);
  assert.deepEqual(statePayload(shopper.jar.get("perso_state")).state.interests, ["audio"]);
});

test("a post without a state cookie changes nothing: no fresh state is minted", async () => {
  for (const [action, body] of [["register", "interests=wearables&return=%2Fcart"], ["dismiss", "campaign=aff-offer&return=%2Fcart"]]) {
    const stranger = edge.visitor();
    const answer = await post(stranger, action, body);
    assert.equal(answer.status, 303, action);
    assert.equal(answer.headers.get("location"), "/cart", action);
    assert.deepEqual(answer.headers.getSetCookie(), [], `${action}: nothing to change, nothing set`);
  }
});

test("the form reader stops at its cap: a body declared too large or a 64 MiB chunked body is refused without being read whole", { timeout: 20_000 }, async () => {
  const shopper = edge.visitor();
  await shopper.get("/", { at: T0 });
  const declared = await post(shopper, "register", `interests=audio&pad=${"x".repeat(5000)}`);
  assert.equal(declared.status, 413);
  // 64 MiB of chunked body (no Content-Length), sent as fast as the worker pulls it:
  // the old reader read it all before looking at its size. The worker now answers 413
  // and the runtime drops the connection with the upload unread, which a client sees
  // as the 413 or as a reset, depending on timing: either way, most was never sent.
  const total = 64 * 1048576;
  const chunk = Buffer.from(`interests=${"a".repeat(16374)}&`);
  const target = new URL("/.perso/register", edge.url);
  const { status, sent, setCookies } = await new Promise((resolve) => {
    let written = 0;
    const request = httpRequest(target, {
      method: "POST",
      headers: { ...FORM, origin: target.origin, cookie: shopper.cookieHeader(), "x-test-now": String(T0 + 5_000) },
    });
    request.on("response", (response) => {
      resolve({ status: response.statusCode, sent: written, setCookies: response.headers["set-cookie"] ?? [] });
      response.resume();
      request.destroy();
    });
    request.on("error", () => resolve({ status: "reset", sent: written, setCookies: [] }));
    const pump = () => {
      while (written < total && !request.destroyed) {
        written += chunk.length;
        if (!request.write(chunk)) return request.once("drain", pump);
      }
      if (!request.destroyed) request.end();
    };
    pump();
  });
  assert.ok(status === 413 || status === "reset", `answered ${status}`);
  assert.deepEqual(setCookies, []);
  // The cap is 4 KB; what was sent beyond it sits in socket and proxy buffers.
  assert.ok(sent < total / 4, `answered after ${sent} of ${total} bytes were sent`);
  assert.ok(edge.logged("form_rejected").length >= 1);
});
