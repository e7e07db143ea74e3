// The worker as tests run it in workerd: the production handler with the clock read
// from the `x-test-now` header (so a visit can be replayed at chosen times), plus one
// test-only route replaying the shared scenario vectors through the worker's own
// bundle loading (signature, freshness) and engine instance.

import { createHandler } from "../src/handler.js";
import { loadBundle } from "../src/bundle.js";
import { persoApi, poisonOnPanic, wasmMemoryBytes } from "../src/wasm-engine.js";

const handler = createHandler({
  now: (request) => Number(request.headers.get("x-test-now")) || Date.now(),
});

async function replayVectors(env) {
  const vectors = JSON.parse(env.PERSO_TEST_VECTORS);
  const perso = persoApi();
  const results = [];
  for (const scenario of vectors.scenarios) {
    const { engine } = await loadBundle(env, scenario.start_ms);
    let state = perso.newVisitorState(scenario.visitor_id, scenario.start_ms);
    for (const step of scenario.steps) {
      const now = step.at_ms;
      if ("page_view" in step) state = perso.pageView(state, step.page_view, now);
      else if ("impression" in step) state = engine.recordImpression(state, step.impression, now);
      else if ("dismiss" in step) state = engine.recordDismissal(state, step.dismiss, now);
      else if ("register" in step) state = perso.register(state, step.register, now);
      else if ("decide" in step) {
        results.push({ scenario: scenario.name, label: step.label, decision: engine.decide(step.decide, state, now) });
      }
    }
  }
  return Response.json(results);
}

export default {
  async fetch(request, env, ctx) {
    const path = new URL(request.url).pathname;
    if (path === "/__test/vectors") return replayVectors(env);
    if (path === "/__test/memory") return Response.json({ wasm_bytes: wasmMemoryBytes() });
    if (path === "/__test/trap") {
      // A real trap inside the engine, handled as the worker handles one.
      try {
        persoApi().debugTrap();
      } catch (error) {
        poisonOnPanic(error);
        return Response.json({ trapped: error instanceof WebAssembly.RuntimeError });
      }
      return Response.json({ trapped: false });
    }
    return handler.fetch(request, env, ctx);
  },
};
