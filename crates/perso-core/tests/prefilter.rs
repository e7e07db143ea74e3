//! The required-facts prefilter (decide rejects a campaign whose required context
//! facts are missing, without evaluating it) must never change a decision. `explain`
//! walks the same campaigns without the prefilter, so on every context of the
//! benchmark workload the two must name the same winners.

use perso_core::decision::Outcome;
use perso_core::{Engine, Limits, VisitorState};

#[path = "../benches/support/workload.rs"]
mod workload;

#[test]
fn prefilter_never_changes_a_winner() {
    let contexts = workload::contexts(200, 11);
    let mut compared = 0;
    for (n, seed) in [(300, 1), (1_000, 2), (3_000, 3)] {
        let bundle = workload::bundle(n, seed);
        let limits = Limits { max_bytes: 64 << 20, ..Limits::default() };
        let engine = Engine::from_bundle_with_limits(bundle.as_bytes(), &limits).unwrap_or_else(|e| panic!("{e}"));
        for (context, state) in &contexts {
            let context = engine.read_context(context.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
            let state = VisitorState::from_json(state.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
            let decided: Vec<&str> = engine
                .decide(&context, &state, workload::NOW_MS)
                .placements
                .iter()
                .map(|p| p.campaign.as_str())
                .map(str::to_owned)
                .collect::<Vec<_>>()
                .leak()
                .iter()
                .map(String::as_str)
                .collect();
            let explained: Vec<String> = engine
                .explain(&context, &state, workload::NOW_MS)
                .campaigns
                .into_iter()
                .filter(|v| matches!(v.outcome, Outcome::Won { .. }))
                .map(|v| v.campaign)
                .collect();
            let mut decided_sorted: Vec<&str> = decided.clone();
            let mut explained_sorted: Vec<&str> = explained.iter().map(String::as_str).collect();
            decided_sorted.sort_unstable();
            explained_sorted.sort_unstable();
            assert_eq!(decided_sorted, explained_sorted, "{n} campaigns, seed {seed}");
            compared += 1;
        }
    }
    assert_eq!(compared, 600);
}
