// The Node checkout kit (js/server/claims.mjs) on the shared claim vectors
// (tests/vectors/claims.json, also replayed natively by crates/perso-claims): every
// case answers with the same code as the Rust verifier, and tokens this kit signs
// verify natively-shaped (same envelope) and round-trip.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  parseTrustedKeys, verifyClaim, issueClaim, privateKeyFromSeed, verifyToken, signToken, TYP, displayCode, jtiOfDisplay,
  newJti, loadKeyFile, newKeyFile, vouchedFacts,
} from "../server/claims.mjs";
import { checkoutRuntime, toolsBuild } from "../server/engine.mjs";

const root = new URL("../../", import.meta.url);
const vectors = JSON.parse(readFileSync(new URL("tests/vectors/claims.json", root), "utf8"));
const source = readFileSync(new URL(vectors.bundle, root));
const runtime = await checkoutRuntime(toolsBuild().compile(source), { sourceJson: source });
const keys = {
  claims: parseTrustedKeys(vectors.keys.claims),
  edge: parseTrustedKeys(vectors.keys.edge),
  links: parseTrustedKeys(vectors.keys.links),
};
const seed = (kid) => privateKeyFromSeed(Buffer.from(vectors.seeds[kid], "hex"));

const outcome = (fn) => {
  try {
    const result = fn();
    return { ok: true, result };
  } catch (error) {
    if (!error.code?.startsWith("claim_")) throw error;
    return { error: error.code, message: error.message };
  }
};

test("every verify vector answers as natively", () => {
  assert.ok(vectors.verify.length >= 15);
  for (const c of vectors.verify) {
    const got = outcome(() => verifyClaim(runtime, c.token, keys.claims, c.server, c.now_ms));
    if (c.expect.ok) {
      assert.ok(got.ok, `${c.name}: ${got.message}`);
      assert.equal(got.result.claim.campaign, c.expect.campaign, c.name);
      assert.deepEqual(got.result.claim.terms.benefit, c.expect.benefit, c.name);
    } else {
      assert.equal(got.error, c.expect.error, `${c.name}: ${got.message ?? "granted"}`);
    }
  }
});

test("every issue vector answers as natively", () => {
  const issuer = { kid: "c-2026-12", key: seed("c-2026-12"), edgeKeys: keys.edge, linkKeys: keys.links };
  for (const c of vectors.issue) {
    const request = { campaign: c.request.campaign, voucher: c.request.voucher ?? undefined, link: c.request.link ?? undefined };
    const got = outcome(() => issueClaim(runtime, request, issuer, c.now_ms, "ISSUED0000000001"));
    if (c.expect.ok) {
      assert.ok(got.ok, `${c.name}: ${got.message}`);
      assert.deepEqual(got.result.claim.facts, c.expect.facts, c.name);
      assert.equal(got.result.claim.exp, c.expect.exp, c.name);
      // What this kit issued, the checkout (this kit) grants for a first-time guest.
      const guest = { customer: { known: false, orders: 0 }, cart: { items: [], total: 150, count: 1 } };
      const verified = outcome(() => verifyClaim(runtime, got.result.token, keys.claims, guest, c.now_ms));
      if (c.request.campaign !== "hv-free-shipping") assert.ok(verified.ok, `${c.name}: ${verified.message}`);
    } else {
      assert.equal(got.error, c.expect.error, `${c.name}: ${got.message ?? "issued"}`);
    }
  }
});

test("a refusal names the failing rule as the marketer wrote it", () => {
  const c = vectors.verify.find((v) => v.name === "Ada's claim replayed for another cart, under $100");
  const got = outcome(() => verifyClaim(runtime, c.token, keys.claims, c.server, c.now_ms));
  assert.equal(got.error, "claim_not_eligible");
  assert.match(got.message, /\{">":\[\{"var":"cart.total"\},100\]\} is false for this order \(at campaigns\[5\]\.action\.eligibility\.and\[2\]\)/);
});

test("the envelope: rotation, typ, alg, key files, display codes", () => {
  const key = seed("c-2026-11");
  const token = signToken(TYP.claim, { a: 1 }, { kid: "c-2026-11", key });
  assert.deepEqual(verifyToken(token, TYP.claim, keys.claims), { kid: "c-2026-11", payload: { a: 1 } });
  assert.throws(() => verifyToken(token, TYP.link, keys.claims), { code: "claim_type" });
  assert.throws(() => verifyToken(token, TYP.claim, keys.edge), { code: "claim_unknown_key" });
  const [h, p, s] = token.split(".");
  const none = `${Buffer.from(JSON.stringify({ alg: "none", kid: "c-2026-11", typ: TYP.claim })).toString("base64url")}.${p}.`;
  assert.throws(() => verifyToken(none, TYP.claim, keys.claims), { code: "claim_algorithm" });
  assert.throws(() => verifyToken(`${h}.${Buffer.from('{"a":2}').toString("base64url")}.${s}`, TYP.claim, keys.claims), { code: "claim_signature" });
  const file = newKeyFile("k");
  const loaded = loadKeyFile(JSON.stringify(file));
  assert.equal(loaded.publicBase64, file.public);
  assert.ok(verifyToken(signToken(TYP.claim, {}, loaded), TYP.claim, parseTrustedKeys(`k:${file.public}`)));
  const jti = newJti();
  assert.equal(jti.length, 16);
  assert.equal(jtiOfDisplay(displayCode(jti).toLowerCase()), jti);
  assert.equal(jtiOfDisplay("GADGETS10"), null);
  assert.deepEqual(vouchedFacts({ jti: "V", seen: { utm: { source: "gadgets.com" } } }, null), [], "a URL's UTM tag vouches for nothing");
});

test("a JDK verifies the claims with nothing but its standard library (docs/offers.md §8)", async (t) => {
  const { spawnSync } = await import("node:child_process");
  if (spawnSync("java", ["-version"]).status !== 0) return t.skip("no java on this machine");
  const source = new URL("tests/interop/VerifyClaim.java", root).pathname;
  const key = vectors.keys.claims.split(" ").find((k) => k.startsWith("c-2026-12:")).split(":")[1];
  const run = (token) => spawnSync("java", [source, token, key], { encoding: "utf8" }).stdout.trim();
  const good = vectors.verify.find((c) => c.name === "the affiliate's claim, vouched by the edge");
  assert.match(run(good.token), /^valid \{"campaign":"aff-offer"/);
  const tampered = vectors.verify.find((c) => c.name === "a claim whose campaign was changed");
  assert.equal(run(tampered.token), "invalid");
  const stranger = vectors.verify.find((c) => c.name === "a claim signed by another key under a trusted kid");
  assert.equal(run(stranger.token), "invalid");
});
