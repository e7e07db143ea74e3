// Node tests of the built packages (pkg-node: `--target nodejs`; pkg: `--target web`
// loaded the way an edge worker does, from a compiled WebAssembly.Module). They
// replay the shared scenario vectors and the public conformance suites through the
// JS exports, so the shipped artifact is held to the same decisions as native.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { replayScenario } from "../vectors/replay.mjs";

const require = createRequire(import.meta.url);
const root = new URL("../../", import.meta.url);
const read = (path) => readFileSync(new URL(path, root));
const perso = require(new URL("pkg-node/perso.js", root).pathname);
const bundle = read("www/bundle.json");
const vectors = JSON.parse(read("tests/vectors/gizmos.json"));
const conformance = new URL("../shared/conformance/", root);

function replay(api, engine) {
  let checked = 0;
  for (const scenario of vectors.scenarios) {
    replayScenario(scenario, api, engine, (step, decision) => {
      assert.deepStrictEqual(decision, step.decision, `${scenario.name} / ${step.label}`);
      checked++;
    });
  }
  return checked;
}

test("nodejs package: Gizmos scenarios decide exactly as native", () => {
  const engine = perso.Engine.fromBundle(bundle);
  try {
    assert.ok(replay(perso, engine) >= 10);
  } finally {
    engine.free();
  }
});

test("web package, instantiated from a compiled module as edge runtimes do", async () => {
  const web = await import(new URL("pkg/perso.js", root));
  const module = new WebAssembly.Module(read("pkg/perso_bg.wasm"));
  web.initSync({ module });
  const engine = web.Engine.fromBundle(new TextDecoder().decode(bundle));
  assert.ok(replay(web, engine) >= 10);
  engine.free();
});

test("engine metadata: serial, expiry, references, thresholds", () => {
  const engine = perso.Engine.fromBundle(bundle);
  assert.equal(engine.serial, 1);
  assert.equal(engine.expiresAtMs, Date.parse("2028-01-01T00:00:00Z"));
  const references = engine.references();
  assert.ok(references.includes("session.entry_referrer_host"));
  assert.ok(references.includes("cart.items"));
  assert.ok(!references.includes("page.url"), "the bundle never reads page.url, so hosts need not collect it");
  assert.deepEqual(engine.timeOnSiteThresholds(), [15]);
  assert.deepEqual(engine.warnings(), []);
  engine.checkFreshness(null, Date.parse("2026-11-25T00:00:00Z"));
  assert.throws(() => engine.checkFreshness(2, Date.parse("2026-11-25T00:00:00Z")), { code: "rollback" });
  assert.throws(() => engine.checkFreshness(null, Date.parse("2028-01-02T00:00:00Z")), { code: "expired" });
  engine.free();
});

test("bad input becomes Error objects naming what is wrong", () => {
  const broken = JSON.parse(bundle);
  broken.campaigns[2].priority = "high";
  broken.campaigns[3].placement = "sidebar";
  assert.throws(() => perso.Engine.fromBundle(JSON.stringify(broken)), (error) => {
    assert.ok(error instanceof Error);
    assert.equal(error.code, "bundle_invalid");
    assert.equal(error.path, "campaigns[2].priority");
    assert.deepEqual(error.errors.map((e) => e.path), ["campaigns[2].priority", "campaigns[3].placement"]);
    assert.match(error.message, /campaigns\[3\]\.placement: unknown placement "sidebar"/);
    return true;
  });
  assert.throws(() => perso.Engine.fromBundle("{"), { code: "bundle_json" });
  assert.throws(() => perso.Engine.fromBundle(42), { code: "bundle_json" });
  const engine = perso.Engine.fromBundle(bundle);
  const state = perso.newVisitorState("v", 0);
  assert.throws(() => engine.decide({ cart: { items: "HP-100" } }, state, 0), { code: "context_invalid", path: "context.cart.items" });
  assert.throws(() => engine.decide({}, { v: 7 }, 0), { code: "state_invalid" });
  assert.throws(() => engine.decide(undefined, state, 0), { code: "context_invalid" });
  assert.throws(() => perso.parseVisitorState("{not json"), { code: "state_invalid" });
  engine.free();
});

test("explain says why each campaign won, lost or was excluded", () => {
  const engine = perso.Engine.fromBundle(bundle);
  const now = Date.parse("2026-11-25T10:00:05Z");
  let state = perso.newVisitorState("v-explain", now - 5000);
  state = perso.pageView(state, { referrer_host: "gadgets.com" }, now - 5000);
  const { campaigns } = engine.explain({ page: { referrer_host: "gadgets.com" } }, state, now);
  const byId = Object.fromEntries(campaigns.map((c) => [c.campaign, c]));
  assert.equal(byId["aff-hero"].outcome, "won");
  assert.deepEqual(byId["aff-offer"].reason, {
    kind: "condition",
    failed: { path: "campaigns[4].condition", rule: { ">=": [{ var: "session.time_on_site_s" }, 15] } },
  });
  assert.equal(byId["hv-welcome"].reason.kind, "condition");
  assert.equal(byId["hv-chat"].reason.segment, "high_value");
  assert.equal(byId["hv-chat"].reason.failed.path, "segments[1].condition.and[0]");
  engine.free();
});

test("applyRule passes JsonLogic's official suite through the JS boundary", () => {
  const cases = JSON.parse(readFileSync(new URL("jsonlogic/tests.json", conformance)));
  let passed = 0;
  for (const c of cases) {
    if (!Array.isArray(c)) continue;
    const [rule, data, expected] = c;
    assert.deepStrictEqual(perso.applyRule(rule, data), expected, JSON.stringify(rule));
    passed++;
  }
  assert.equal(passed, 275);
});

test("flagd fractional and sem_ver suites through the JS boundary", () => {
  for (const file of ["flagd/fractional.json", "flagd/sem_ver.json"]) {
    for (const c of JSON.parse(readFileSync(new URL(file, conformance)))) {
      if (typeof c === "string") continue;
      assert.deepStrictEqual(perso.applyRule(c.rule, c.data), c.result, c.description);
    }
  }
});

test("an offer is re-checked at checkout against server-side facts", () => {
  const engine = perso.Engine.fromBundle(bundle);
  const state = perso.newVisitorState("v", 0);
  const vip = { customer: { known: true, ltv_band: "top" } };
  assert.equal(engine.checkOffer("hv-free-shipping", { ...vip, cart: { total: 150 } }, state, 0), true);
  assert.equal(engine.checkOffer("hv-free-shipping", { ...vip, cart: { total: 80 } }, state, 0), false);
  assert.equal(engine.checkOffer("hv-free-shipping", { customer: { known: true, ltv_band: "low" }, cart: { total: 150 } }, state, 0), false);
  assert.equal(engine.checkOffer("aff-hero", vip, state, 0), false, "not an offer");
  engine.free();
});

test("after a trap the host drops the instance and starts a fresh one (web package)", async () => {
  const web = await import(new URL("pkg/perso.js", root));
  web.initSync({ module: new WebAssembly.Module(read("pkg/perso_bg.wasm")) });
  const before = web.Engine.fromBundle(new TextDecoder().decode(bundle));
  assert.throws(() => web.debugTrap(), WebAssembly.RuntimeError);
  web.reinstantiate();
  const after = web.Engine.fromBundle(new TextDecoder().decode(bundle));
  assert.ok(replay(web, after) >= 10, "the fresh instance decides as before");
  assert.ok(before !== after);
  after.free();
});

test("touch keeps a session alive without a page view", () => {
  const t0 = Date.parse("2026-11-25T10:00:00Z");
  let state = perso.pageView(perso.newVisitorState("v", t0), {}, t0);
  state = perso.touch(state, t0 + 25 * 60_000);
  state = perso.pageView(state, {}, t0 + 50 * 60_000);
  assert.equal(state.visits, 1, "25 minutes of activity, then 25 more: the same session");
  assert.equal(state.session.pages, 2);
});
