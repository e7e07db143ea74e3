// The worker as tests run it in workerd: the production handler with the clock read
// from the `x-test-now` header (so a visit can be replayed at chosen times), plus
// test-only routes: replaying the shared scenario vectors through the worker's own
// bundle loading (fetch or binding, signature, freshness) and its engine calls
// (engine-calls.js, the functions the handler uses), the engine's memory, a real trap
// (the facade's debugTrap) handled as the handler handles one, and a wait for the
// background bundle refresh (instead of a wait on time).

import { createHandler } from "../src/handler.js";
import { bundleSettled, loadBundle, noteEngineTrap } from "../src/bundle.js";
import { workerConfig } from "../src/config.js";
import {
  decide, openVisitor, pageContext, pageView, recordDismissal, recordImpressions, recoverFromEngineFailure, registerAnswers, releaseVisitor,
  trapForTests, wasmMemoryBytes,
} from "../src/engine-calls.js";
import { replayScenario } from "../../tests/vectors/replay.mjs";
import { pageFacts } from "../src/request-context.js";

const handler = createHandler({
  now: (request) => Number(request.headers.get("x-test-now")) || Date.now(),
});

/** replay.mjs's kit and engine, made of the worker's own engine calls on the worker's bundle. */
function workerEngine(bundle) {
  const kit = {
    freshVisitor(id, nowMs) {
      const visitor = openVisitor(null, { id, nowMs });
      return { visitor, free: () => releaseVisitor(visitor) };
    },
  };
  const engine = {
    pageView: (v, view, now) => pageView(bundle, v.visitor, view, now),
    recordImpression: (v, campaign, now) => recordImpressions(bundle, v.visitor, [campaign], now),
    recordDismissal: (v, campaign, now) => recordDismissal(bundle, v.visitor, campaign, now),
    register: (v, answers, now) => registerAnswers(bundle, v.visitor, answers, now),
    decide: (context, v, now) => decide(bundle, v.visitor, context, now),
  };
  return { kit, engine };
}

async function replayVectors(env) {
  const vectors = JSON.parse(env.PERSO_TEST_VECTORS);
  const results = [];
  for (const scenario of vectors.scenarios) {
    const bundle = await loadBundle(env, scenario.start_ms, { settings: workerConfig(env) });
    const { kit, engine } = workerEngine(bundle);
    replayScenario(scenario, kit, engine, (step, decision) => {
      results.push({ scenario: scenario.name, label: step.label, decision });
    });
  }
  return Response.json(results);
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    const path = url.pathname;
    if (path === "/__test/vectors") return replayVectors(env);
    if (path === "/__test/memory") return Response.json({ wasm_bytes: wasmMemoryBytes() });
    if (path === "/__test/bundle-settled") {
      await bundleSettled();
      return Response.json({ settled: true });
    }
    if (request.headers.get("x-test-page-context") === "1") {
      // The page part of the context the handler builds for this very request
      // (tests/vectors/page-context.json): the production pageFacts, the worker's engine.
      const bundle = await loadBundle(env, Number(request.headers.get("x-test-now")) || Date.now(), { settings: workerConfig(env) });
      return Response.json(pageContext(bundle, pageFacts(request)).page);
    }
    if (path === "/__test/trap") {
      // A real trap inside the engine while a request uses the current bundle, handled
      // as the handler handles one: the instance is replaced, and the trap counts
      // towards the bundle's quarantine.
      const bundle = await loadBundle(env, Number(request.headers.get("x-test-now")) || Date.now(), { settings: workerConfig(env) });
      try {
        trapForTests();
      } catch (error) {
        const trapped = recoverFromEngineFailure(error);
        return Response.json({ trapped: trapped && error instanceof WebAssembly.RuntimeError, quarantined: trapped && noteEngineTrap(bundle) });
      }
      return Response.json({ trapped: false });
    }
    return handler.fetch(request, env, ctx);
  },
};
