// Node tests of the built packages beyond the host kit (tests/node/kit.test.mjs): the
// tools' build (pkg-node) — the public conformance suites through applyRule, explain,
// compile errors — and the lean web package's recovery after a trap.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { replayScenario } from "../vectors/replay.mjs";
import { createKit } from "../../js/src/kit/index.js";
import { full, glue, read, root, gizmos } from "./support.mjs";

const conformance = new URL("../shared/conformance/", root);
const vectors = JSON.parse(read("tests/vectors/gizmos.json"));

test("compile errors name every problem with its JSON path", () => {
  const broken = JSON.parse(read("www/bundle.json"));
  broken.campaigns[2].priority = "high";
  broken.campaigns[3].placement = "sidebar";
  assert.throws(() => full.compile(JSON.stringify(broken)), (error) => {
    assert.equal(error.code, "bundle_invalid");
    assert.equal(error.path, "campaigns[2].priority");
    assert.deepEqual(error.errors.map((e) => e.path), ["campaigns[2].priority", "campaigns[3].placement"]);
    assert.match(error.message, /campaigns\[3\]\.placement: unknown placement "sidebar"/);
    return true;
  });
  assert.throws(() => full.compile("{"), { code: "bundle_json" });
});

test("a costly condition is refused at compile time, naming the expression", () => {
  const costly = JSON.parse(read("www/bundle.json"));
  const list = Array.from({ length: 40 }, (_, i) => i);
  costly.campaigns[0].condition = { reduce: [list, { cat: [{ var: "accumulator" }, { var: "accumulator" }] }, "ab"] };
  assert.throws(() => full.compile(JSON.stringify(costly)), (error) => {
    assert.equal(error.code, "bundle_invalid");
    assert.match(error.message, /campaigns\[0\]\.condition.*units of work/);
    return true;
  });
});

test("explain says why each campaign won, lost or was excluded, with the rule as written", () => {
  const engine = full.Engine.fromJson(read("www/bundle.json"));
  const now = Date.parse("2026-11-25T10:00:05Z");
  const visitor = full.Visitor.fromJson(JSON.stringify({
    v: 1, id: "v-explain", visits: 1, session: { start_ms: now - 5000, last_ms: now - 5000, pages: 1, ref_host: "gadgets.com" }, registered: false,
  }));
  const { campaigns } = JSON.parse(engine.explainJson(visitor, JSON.stringify({ page: { referrer_host: "gadgets.com" } }), now));
  const byId = Object.fromEntries(campaigns.map((c) => [c.campaign, c]));
  assert.equal(byId["aff-hero"].outcome, "won");
  assert.deepEqual(byId["aff-offer"].reason, {
    kind: "condition",
    failed: { path: "campaigns[4].condition", rule: { ">=": [{ var: "session.time_on_site_s" }, 15] } },
  });
  assert.equal(byId["hv-welcome"].reason.kind, "condition");
  assert.equal(byId["hv-chat"].reason.segment, "high_value");
  assert.equal(byId["hv-chat"].reason.failed.path, "segments[1].condition.and[0]");
  // From the compiled form (no source at hand), the rule shown is the one evaluated.
  const compiled = full.Engine.load(gizmos());
  const fromBinary = JSON.parse(compiled.explainJson(visitor, JSON.stringify({ page: { referrer_host: "gadgets.com" } }), now));
  const offer = fromBinary.campaigns.find((c) => c.campaign === "aff-offer");
  assert.match(offer.reason.failed.path, /^campaigns\[4\]\.condition \(node \d+\)$/);
  assert.deepEqual(offer.reason.failed.rule, { ">=": [{ var: "session.time_on_site_s" }, 15] });
  visitor.free();
  engine.free();
  compiled.free();
});

test("applyRule passes JsonLogic's official suite", () => {
  const cases = JSON.parse(readFileSync(new URL("jsonlogic/tests.json", conformance)));
  let passed = 0;
  for (const c of cases) {
    if (!Array.isArray(c)) continue;
    const [rule, data, expected] = c;
    assert.deepStrictEqual(full.applyRule(rule, data), expected, JSON.stringify(rule));
    passed++;
  }
  assert.equal(passed, 275);
});

test("flagd fractional and sem_ver suites", () => {
  for (const file of ["flagd/fractional.json", "flagd/sem_ver.json"]) {
    for (const c of JSON.parse(readFileSync(new URL(file, conformance)))) {
      if (typeof c === "string") continue;
      assert.deepStrictEqual(full.applyRule(c.rule, c.data), c.result, c.description);
    }
  }
});

test("an offer is re-checked at checkout against server-side facts", async () => {
  const { kit } = await import("./support.mjs");
  const engine = kit.loadBundle(gizmos());
  const visitor = kit.freshVisitor("v", 0);
  const vip = { customer: { known: true, ltv_band: "top" } };
  assert.equal(engine.checkOffer("hv-free-shipping", { ...vip, cart: { total: 150 } }, visitor, 0), true);
  assert.equal(engine.checkOffer("hv-free-shipping", { ...vip, cart: { total: 80 } }, visitor, 0), false);
  assert.equal(engine.checkOffer("hv-free-shipping", { customer: { known: true, ltv_band: "low" }, cart: { total: 150 } }, visitor, 0), false);
  assert.equal(engine.checkOffer("aff-hero", vip, visitor, 0), false, "not an offer");
  visitor.free();
  engine.free();
});

test("after a trap the host drops the instance and starts a fresh one (lean web package)", () => {
  const bundle = gizmos();
  assert.throws(() => glue.debugTrap(), WebAssembly.RuntimeError);
  const kit = createKit(glue, glue.reinstantiate());
  const engine = kit.loadBundle(bundle);
  let checked = 0;
  for (const scenario of vectors.scenarios) {
    replayScenario(scenario, kit, engine, (step, decision) => {
      assert.deepStrictEqual(JSON.parse(JSON.stringify(decision)), step.decision);
      checked++;
    });
  }
  assert.ok(checked >= 10, "the fresh instance decides as before");
  engine.free();
});

test("touch keeps a session alive without a page view", async () => {
  const { kit } = await import("./support.mjs");
  const engine = kit.loadBundle(gizmos());
  const t0 = Date.parse("2026-11-25T10:00:00Z");
  const visitor = kit.freshVisitor("v", t0);
  engine.pageView(visitor, {}, t0);
  visitor.touch(t0 + 25 * 60_000);
  engine.pageView(visitor, {}, t0 + 50 * 60_000);
  const state = JSON.parse(full.Visitor.fromBytes(visitor.toBytes()).toJson());
  assert.equal(state.visits, 1, "25 minutes of activity, then 25 more: the same session");
  assert.equal(state.session.pages, 2);
  visitor.free();
  engine.free();
});
