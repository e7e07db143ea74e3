// Replays one scenario of the shared vectors (tests/vectors/*.json) through the JS
// host kit (js/src/kit), so every JS host (Node, the browser, the edge worker in
// workerd) applies the steps exactly alike: `kit` is createKit(...)'s result,
// `engine` a loaded bundle, and `onDecision` receives (step, decision) per `decide`.
export function replayScenario(scenario, kit, engine, onDecision) {
  const visitor = kit.freshVisitor(scenario.visitor_id, scenario.start_ms);
  try {
    for (const step of scenario.steps) {
      const now = step.at_ms;
      if ("page_view" in step) engine.pageView(visitor, step.page_view, now);
      else if ("impression" in step) engine.recordImpression(visitor, step.impression, now);
      else if ("dismiss" in step) engine.recordDismissal(visitor, step.dismiss, now);
      else if ("register" in step) engine.register(visitor, step.register, now);
      else if ("decide" in step) onDecision(step, engine.decide(step.decide, visitor, now));
    }
  } finally {
    visitor.free();
  }
}
