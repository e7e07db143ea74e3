// The host kit on the lean package: the shared scenario vectors decided byte for
// byte as natively, the compiled form's metadata, errors as PersoErrors naming
// what is wrong, limits equal to the engine's, the URL rule, the visitor state's
// compact form, page facts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { replayScenario } from "../vectors/replay.mjs";
import { LIMITS } from "../../js/src/kit/index.js";
import { kit, full, compile, gizmos, read } from "./support.mjs";

const vectors = JSON.parse(read("tests/vectors/gizmos.json"));

test("Gizmos scenarios decide exactly as native, through the kit and the lean package", () => {
  const engine = kit.loadBundle(gizmos());
  let checked = 0;
  for (const scenario of vectors.scenarios) {
    replayScenario(scenario, kit, engine, (step, decision) => {
      assert.deepStrictEqual(JSON.parse(JSON.stringify(decision)), step.decision, `${scenario.name} / ${step.label}`);
      checked++;
    });
  }
  assert.ok(checked >= 10, `${checked} decisions`);
  engine.free();
});

test("the kit assembles decisions exactly as the engine renders them natively", () => {
  const bundle = gizmos();
  const lean = kit.loadBundle(bundle);
  const tool = full.Engine.load(bundle);
  let compared = 0;
  for (const scenario of vectors.scenarios) {
    let visitor = null;
    const spy = { ...kit, freshVisitor: (id, now) => (visitor = kit.freshVisitor(id, now)) };
    replayScenario(scenario, spy, lean, (step, decision) => {
      const same = full.Visitor.fromBytes(visitor.toBytes());
      const native = JSON.parse(tool.decideJson(same, JSON.stringify(step.decide), step.at_ms));
      same.free();
      assert.equal(JSON.stringify(decision), JSON.stringify(native), `${scenario.name} / ${step.label}`);
      compared++;
    });
  }
  assert.ok(compared >= 10);
  tool.free();
  lean.free();
});

test("metadata: serial, expiry, references, thresholds, freshness", () => {
  const engine = kit.loadBundle(gizmos());
  assert.equal(engine.serial, 1);
  assert.equal(engine.expiresAtMs, Date.parse("2028-01-01T00:00:00Z"));
  assert.ok(engine.references().includes("session.entry_referrer_host"));
  assert.ok(!engine.references().includes("page.url"));
  assert.deepEqual(engine.timeOnSiteThresholds(), [15]);
  engine.checkFreshness(null, Date.parse("2026-11-25T00:00:00Z"));
  assert.throws(() => engine.checkFreshness(2, Date.parse("2026-11-25T00:00:00Z")), { code: "rollback" });
  assert.throws(() => engine.checkFreshness(null, Date.parse("2028-01-02T00:00:00Z")), { code: "expired" });
  assert.throws(() => engine.checkFreshness(null, NaN), { code: "expired" }, "NaN is not a clock");
  engine.free();
});

test("bad bundles are PersoErrors naming what is wrong", () => {
  assert.throws(() => kit.loadBundle(read("www/bundle.json")), { code: "bundle_format", message: /perso publish/ });
  const good = gizmos();
  assert.throws(() => kit.loadBundle(good.subarray(0, good.length - 10)), { code: "bundle_invalid", message: /truncated/ });
  const altered = good.slice();
  altered[9] ^= 1; // the header's serial
  assert.throws(() => kit.loadBundle(altered), { code: "bundle_invalid", message: /altered/ });
  assert.throws(() => kit.loadBundle(new Uint8Array(LIMITS.MAX_BUNDLE_BYTES + 1)), { code: "bundle_too_large" });
});

test("a context of the wrong type names the field", () => {
  const engine = kit.loadBundle(gizmos());
  const visitor = kit.freshVisitor("v", 0);
  assert.throws(() => engine.decide({ cart: { total: "lots" } }, visitor, 0), { code: "context_invalid", message: /context\.cart\.total must be a number/ });
  assert.throws(() => engine.decide({ cart: { items: [3] } }, visitor, 0), { code: "context_invalid", message: /cart\.items\[0\]/ });
  visitor.free();
  engine.free();
});

test("limits in the kit equal the engine's", () => {
  for (const [name, value] of Object.entries(LIMITS)) {
    if (name === "MAX_CONTEXT_DEPTH" || name === "MAX_CART_QTY") continue;
    assert.equal(kit.limit(name), value, name);
  }
});

test("visitor state: compact form round-trips and is bounded", () => {
  const engine = kit.loadBundle(gizmos());
  const visitor = kit.freshVisitor("0f8e4c1a-9d2b-4e6f-8a3c-5b7d9e1f2a4c", 1_000);
  engine.pageView(visitor, { referrer_host: "gadgets.com", utm: { source: "newsletter" } }, 1_000);
  engine.recordImpression(visitor, "aff-hero", 2_000);
  const bytes = visitor.toBytes();
  assert.ok(bytes.length < 120, `${bytes.length} bytes`);
  const back = kit.visitorFromBytes(bytes);
  assert.deepEqual(back.toBytes(), bytes);
  assert.throws(() => kit.visitorFromBytes(bytes.subarray(0, 5)), { code: "state_invalid" });
  assert.throws(() => kit.visitorFromBytes(new Uint8Array([9, 1, 2])), { code: "state_invalid", message: /version 9/ });
  back.free();
  visitor.free();
  engine.free();
});

test("registration answers are kept only where the bundle's questions offer them", () => {
  const engine = kit.loadBundle(gizmos());
  const visitor = kit.freshVisitor("v", 0);
  engine.register(visitor, ["audio", "not-an-option", "audio"], 1);
  const json = JSON.parse(full.Visitor.fromBytes(visitor.toBytes()).toJson());
  assert.deepEqual(json.interests, ["audio"]);
  assert.equal(json.registered, true);
  visitor.free();
  engine.free();
});

test("client events: clamped to the request's clock, a future timestamp hides nothing", () => {
  const engine = kit.loadBundle(gizmos());
  const visitor = kit.freshVisitor("v", 0);
  const now = 1_000_000;
  const far = now + 10 * 365 * 86_400_000;
  const watermark = engine.applyClientEvents(visitor, [{ t: "click", c: "aff-hero", at: far }], 0, now);
  assert.equal(watermark, now, "the watermark never passes now");
  const later = engine.applyClientEvents(visitor, [{ t: "dismiss", c: "aff-offer", at: now + 500 }], watermark, now + 1_000);
  assert.equal(later, now + 500, "a later dismissal is still applied");
  const state = JSON.parse(full.Visitor.fromBytes(visitor.toBytes()).toJson());
  assert.equal(state.campaigns.find((c) => c.id === "aff-offer")?.dismissed_ms, now + 500);
  visitor.free();
  engine.free();
});

test("the URL rule", () => {
  assert.equal(kit.safeUrl("/category/audio"), true);
  assert.equal(kit.safeUrl("https://gizmos.test/"), true);
  for (const bad of ["//evil.test", "/\\evil.test", "java\nscript:alert(1)", "javascript:alert(1)", "", " /x"]) {
    assert.equal(kit.safeUrl(bad), false, JSON.stringify(bad));
  }
});

test("page facts: one rule for page type, UTM, referrer", () => {
  const engine = kit.loadBundle(gizmos());
  const { page, device, pageView } = engine.pageContext({
    url: "https://gizmos.test/products/x?utm_source=gadgets.com&utm_source=second&utm_medium=",
    referrer: "https://www.gadgets.com/reviews?id=3#top",
    userAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile",
    language: "en-US,en;q=0.9",
  });
  assert.deepEqual(page, {
    url: "https://gizmos.test/products/x",
    path: "/products/x",
    type: "product",
    referrer: "https://www.gadgets.com/reviews",
    referrer_host: "www.gadgets.com",
    utm: { source: "gadgets.com" },
  });
  assert.deepEqual(device, { type: "mobile", language: "en-US" });
  assert.deepEqual(pageView, { utm: { source: "gadgets.com" }, referrer_host: "www.gadgets.com" });
  const own = engine.pageContext({ url: "https://gizmos.test/cartography", referrer: "https://gizmos.test/" });
  assert.equal(own.page.type, "other", "a prefix is not a segment");
  assert.equal(own.page.referrer_host, undefined, "the store's own host is not an entry referrer");
  engine.free();
});

test("compile errors of the full build name every problem", () => {
  assert.equal(full.compileBundle(new TextEncoder().encode('{"version": 1}')), undefined);
  const error = JSON.parse(full.lastErrorMessage());
  assert.equal(error.code, "bundle_invalid");
  assert.ok(error.errors.some((e) => e.path === "serial"));
  assert.throws(() => compile("{"), /bundle_json/);
});
