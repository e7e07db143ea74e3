// Replays one scenario of the shared vectors (tests/vectors/*.json) through perso's JS
// API, so every JS host (Node, the edge worker in workerd) applies the steps exactly
// alike: `api` is the package's exports, `engine` a compiled Engine, and `onDecision`
// receives (step, decision) for each `decide` step.
export function replayScenario(scenario, api, engine, onDecision) {
  let state = api.newVisitorState(scenario.visitor_id, scenario.start_ms);
  for (const step of scenario.steps) {
    const now = step.at_ms;
    if ("page_view" in step) state = api.pageView(state, step.page_view, now);
    else if ("impression" in step) state = engine.recordImpression(state, step.impression, now);
    else if ("dismiss" in step) state = engine.recordDismissal(state, step.dismiss, now);
    else if ("register" in step) state = api.register(state, step.register, now);
    else if ("decide" in step) onDecision(step, engine.decide(step.decide, state, now));
  }
}
