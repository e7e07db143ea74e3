// The worker as tests run it in workerd: the production handler with the clock read
// from the `x-test-now` header (so a visit can be replayed at chosen times), plus
// test-only routes: replaying the shared scenario vectors through the worker's own
// bundle loading (signature, freshness) and engine instance, the engine's memory, a
// real trap, and a wait for the background bundle refresh (instead of a wait on time).

import { createHandler } from "../src/handler.js";
import { bundleSettled, loadBundle } from "../src/bundle.js";
import { workerConfig } from "../src/config.js";
import { persoApiForTests, recoverFromEngineFailure, wasmMemoryBytes } from "../src/engine-calls.js";
import { replayScenario } from "../../tests/vectors/replay.mjs";

const handler = createHandler({
  now: (request) => Number(request.headers.get("x-test-now")) || Date.now(),
});

async function replayVectors(env) {
  const vectors = JSON.parse(env.PERSO_TEST_VECTORS);
  const perso = persoApiForTests();
  const results = [];
  for (const scenario of vectors.scenarios) {
    const { engine } = await loadBundle(env, scenario.start_ms, { settings: workerConfig(env) });
    replayScenario(scenario, perso, engine, (step, decision) => {
      results.push({ scenario: scenario.name, label: step.label, decision });
    });
  }
  return Response.json(results);
}

export default {
  async fetch(request, env, ctx) {
    const path = new URL(request.url).pathname;
    if (path === "/__test/vectors") return replayVectors(env);
    if (path === "/__test/memory") return Response.json({ wasm_bytes: wasmMemoryBytes() });
    if (path === "/__test/bundle-settled") {
      await bundleSettled();
      return Response.json({ settled: true });
    }
    if (path === "/__test/trap") {
      // A real trap inside the engine, handled as the worker handles one.
      try {
        persoApiForTests().debugTrap();
      } catch (error) {
        recoverFromEngineFailure(error);
        return Response.json({ trapped: error instanceof WebAssembly.RuntimeError });
      }
      return Response.json({ trapped: false });
    }
    return handler.fetch(request, env, ctx);
  },
};
