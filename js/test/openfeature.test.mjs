// perso's OpenFeature provider with the real web SDK (@openfeature/web-sdk), in Node:
// on every scenario vector (tests/vectors/gizmos.json), the flag evaluations of each
// placement equal what decide() returns for the same context and visitor — which the
// vectors pin byte for byte — through setContext, the SDK's own hooks and details.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { OpenFeature, ProviderEvents } from "@openfeature/web-sdk";
import { createKit } from "../src/kit/index.js";
import { PersoProvider } from "../src/openfeature.js";

const root = new URL("../../", import.meta.url);
const read = (path) => readFileSync(new URL(path, root));
const tools = createRequire(import.meta.url)(new URL("pkg-node/perso.js", root).pathname);
const glue = await import(new URL("pkg/perso.js", root));
const kit = createKit(glue, glue.initSync({ module: new WebAssembly.Module(read("pkg/perso_bg.wasm")) }));
const compile = (json) => tools.compile(typeof json === "string" ? json : JSON.stringify(json));
const vectors = JSON.parse(read("tests/vectors/gizmos.json"));
const PLACEMENTS = ["greeting", "hero", "popup", "cross_sell", "chat"];

after(() => OpenFeature.close());

/** Replays a scenario's state steps on `visitor`; calls `onDecide(step)` at each decide step. */
async function replay(scenario, engine, visitor, onDecide) {
  for (const step of scenario.steps) {
    if ("page_view" in step) engine.pageView(visitor, step.page_view, step.at_ms);
    else if ("impression" in step) engine.recordImpression(visitor, step.impression, step.at_ms);
    else if ("dismiss" in step) engine.recordDismissal(visitor, step.dismiss, step.at_ms);
    else if ("register" in step) engine.register(visitor, step.register, step.at_ms);
    else if ("decide" in step) await onDecide(step);
  }
}

test("flag evaluations equal decide() on every scenario vector (object, boolean, string; variant, reason, metadata)", async () => {
  const engine = kit.loadBundle(compile(read("www/bundle.json").toString()));
  let checked = 0;
  for (const scenario of vectors.scenarios) {
    const visitor = kit.freshVisitor(scenario.visitor_id, scenario.start_ms);
    let now = scenario.start_ms;
    await OpenFeature.setProviderAndWait(new PersoProvider({ engine, visitor, now: () => now }));
    const client = OpenFeature.getClient();
    await replay(scenario, engine, visitor, async (step) => {
      now = step.at_ms;
      await OpenFeature.setContext({ targetingKey: scenario.visitor_id, ...step.decide });
      const decision = engine.decide(step.decide, visitor, step.at_ms);
      if (step.decision) assert.deepEqual(JSON.parse(JSON.stringify(decision)), step.decision, "decide() is the vector's decision");
      for (const placement of PLACEMENTS) {
        const placed = decision.placements.find((p) => p.placement === placement) ?? null;
        const object = client.getObjectDetails(placement, { none: true });
        const label = `${scenario.name} / ${step.label} / ${placement}`;
        if (placed) {
          assert.deepEqual(object.value, placed.action, label);
          assert.equal(object.variant, placed.variant ? `${placed.campaign}/${placed.variant}` : placed.campaign, label);
          assert.equal(object.reason, placed.variant ? "SPLIT" : "TARGETING_MATCH", label);
          assert.equal(object.flagMetadata.campaign, placed.campaign);
          assert.equal(object.flagMetadata.kind, placed.action.kind);
          assert.equal(object.flagMetadata.serial, decision.serial);
          assert.equal(client.getStringValue(placement, ""), placed.campaign, label);
        } else {
          assert.deepEqual(object.value, { none: true }, label);
          assert.equal(object.reason, "DEFAULT", label);
          assert.equal(client.getStringValue(placement, "fallback"), "fallback");
        }
        assert.equal(client.getBooleanValue(placement, !placed), Boolean(placed), label);
        if (step.expect && placement in step.expect) {
          const expected = step.expect[placement];
          assert.equal(object.variant ?? null, typeof expected === "object" && expected ? expected.campaign : expected, label);
          if (expected?.skus) assert.deepEqual(object.value.items.map((item) => item.sku), expected.skus, label);
        }
        checked++;
      }
    });
    visitor.free();
  }
  assert.ok(checked >= 50, `${checked} evaluations`);
  engine.free();
});

test("experiments: the variant is campaign/variant and the reason SPLIT; unknown placements are FLAG_NOT_FOUND; numbers a TYPE_MISMATCH", async () => {
  const bundle = JSON.parse(read("www/bundle.json").toString());
  const hero = bundle.campaigns.find((c) => c.id === "aff-hero");
  hero.experiment = { salt: "of-test", variants: [{ id: "a", weight: 1 }, { id: "b", weight: 1, action: { ...hero.action, title: "Variant B" } }] };
  const engine = kit.loadBundle(compile(bundle));
  const seen = new Set();
  for (let i = 0; i < 20 && seen.size < 2; i++) {
    const visitor = kit.freshVisitor(`visitor-${i}`, 1795600800000);
    engine.pageView(visitor, { referrer_host: "gadgets.com" }, 1795600800000);
    const context = vectors.scenarios[0].steps.find((s) => s.decide).decide;
    await OpenFeature.setProviderAndWait(new PersoProvider({ engine, visitor, now: () => 1795600801000 }));
    await OpenFeature.setContext(context);
    const client = OpenFeature.getClient();
    const placed = engine.decide(context, visitor, 1795600801000).placements.find((p) => p.placement === "hero");
    const details = client.getObjectDetails("hero", {});
    assert.equal(details.variant, `aff-hero/${placed.variant}`);
    assert.equal(details.reason, "SPLIT");
    assert.equal(details.flagMetadata.variant, placed.variant);
    assert.deepEqual(details.value, placed.action);
    seen.add(placed.variant);
    const missing = client.getObjectDetails("no-such-placement", { d: 1 });
    assert.equal(missing.errorCode, "FLAG_NOT_FOUND");
    assert.deepEqual(missing.value, { d: 1 });
    assert.equal(client.getNumberDetails("hero", 7).errorCode, "TYPE_MISMATCH");
    visitor.free();
  }
  assert.deepEqual([...seen].sort(), ["a", "b"], "both variants seen");
  engine.free();
});

test("in the page: decisions of the runtime's API, ConfigurationChanged when perso decides again", async () => {
  // The browser runtime's API shape (window.perso), and its perso:decision event, in Node.
  const events = new EventTarget();
  globalThis.document = events;
  let decision = { serial: 1, placements: [] };
  const perso = { decision: () => decision };
  const provider = new PersoProvider({ perso });
  await OpenFeature.setProviderAndWait(provider);
  const client = OpenFeature.getClient();
  assert.equal(client.getBooleanValue("hero", true), false);
  const changed = new Promise((resolve) => client.addHandler(ProviderEvents.ConfigurationChanged, (details) => resolve(details.flagsChanged)));
  decision = { serial: 1, placements: [{ placement: "hero", campaign: "aff-hero", action: { kind: "banner", title: "Hi" }, interruption: false, trigger: { on: "now" }, why: "w" }] };
  events.dispatchEvent(new Event("perso:decision"));
  assert.deepEqual(await changed, ["hero"]);
  assert.deepEqual(client.getObjectValue("hero", {}), { kind: "banner", title: "Hi" });
  // The page's context is perso's to collect: the application's flag context changes nothing.
  await OpenFeature.setContext({ targetingKey: "someone", cart: { items: [{ sku: "X" }] } });
  assert.equal(client.getStringValue("hero", ""), "aff-hero");
  await OpenFeature.clearProviders();
  delete globalThis.document;
});
