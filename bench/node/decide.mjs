// Node harness: perso's decide() through the JS boundary (the nodejs wasm package)
// versus hand-written JavaScript closures compiled once per rule (./rules.mjs), on the
// same workload, in the same Node run. Checks first that all three decide the same
// winner per placement on every context (exits 1 if not), then times them.
//
// Workload: cargo run --release -p perso-core --example gen_workload -- target/bench
// Package:  bash scripts/build-wasm.sh   (builds pkg-node/)
// Run:      node bench/node/decide.mjs [workload dir, default target/bench]
//           [--sizes 200,1000] [--runs 9] [--json results.json]
//           [--check]    only check that the decisions agree (no timing)
//           [--pkg DIR]  another nodejs build of the package (default pkg-node/), to
//                        compare builds (e.g. opt-level 3 against the shipped "z")
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { closureData, compileBundle, projection } from "./rules.mjs";

const { values: options, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    sizes: { type: "string", default: "200,1000,5000,10000" },
    runs: { type: "string", default: "9" },
    json: { type: "string" },
    pkg: { type: "string" },
    check: { type: "boolean", default: false },
  },
});
const root = new URL("../../", import.meta.url);
const dir = new URL(`${positionals[0] ?? "target/bench"}/`, root);
const sizes = options.sizes.split(",").map(Number);
const RUNS = Number(options.runs);
const pkg = options.pkg ? new URL(`file://${resolve(options.pkg)}/`) : new URL("pkg-node/", root);
const perso = createRequire(import.meta.url)(new URL("perso.js", pkg).pathname);

/** Results must be used, or the JIT may drop the work. */
let sink = 0;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Times several ways of deciding over the same `inputs`, interleaved: each round runs
 * every contender once (a whole number of passes over `inputs`, at least ~60 ms), so
 * load from other processes hits all of them alike. Returns, per contender, the median
 * and the minimum ns per call over RUNS rounds, and the per-round samples (for ratios
 * taken within a round).
 */
function measure(inputs, contenders) {
  const pass = (fn) => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < inputs.length; i++) sink += fn(inputs[i]) ? 1 : 0;
    return Number(process.hrtime.bigint() - start);
  };
  const passes = {};
  for (const [name, fn] of Object.entries(contenders)) {
    let warm = 0;
    let count = 0;
    while (warm < 300e6 || count < 3) {
      warm += pass(fn);
      count++;
    }
    passes[name] = Math.max(1, Math.ceil(60e6 / (warm / count)));
  }
  const samples = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]));
  for (let r = 0; r < RUNS; r++) {
    for (const [name, fn] of Object.entries(contenders)) {
      let ns = 0;
      for (let p = 0; p < passes[name]; p++) ns += pass(fn);
      samples[name].push(ns / (passes[name] * inputs.length));
    }
  }
  return Object.fromEntries(
    Object.entries(samples).map(([name, xs]) => [name, { median: median(xs), min: Math.min(...xs), samples: xs }]),
  );
}

/** Median over rounds of the within-round ratio a/b. */
const ratio = (a, b) => median(a.samples.map((x, i) => x / b.samples[i]));

/** Median time of `fn()` over a few calls, in ms (for compiling bundles). */
function timeOnce(fn, times = 5) {
  const ms = [];
  for (let i = 0; i < times; i++) {
    const start = process.hrtime.bigint();
    sink += fn() ? 1 : 0;
    ms.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  ms.sort((a, b) => a - b);
  return ms[Math.floor(ms.length / 2)];
}

const rows = [];
for (const n of sizes) {
  const workload = JSON.parse(readFileSync(new URL(`workload-${n}.json`, dir), "utf8"));
  const bundleText = JSON.stringify(workload.bundle);
  const now = workload.now_ms;
  const engine = perso.Engine.fromBundle(bundleText);
  const js = compileBundle(workload.bundle);
  const inputs = workload.contexts.map(({ context, state }) => ({ context, state }));
  const project = projection(engine.references());

  // 1. Same decisions, every context, before any timing.
  let evaluations = 0;
  let matches = 0;
  let earlyExitEvaluations = 0;
  let winners = 0;
  inputs.forEach(({ context, state }, i) => {
    const decision = engine.decide(context, state, now);
    const persoWinners = js.placementIds.map((p) => decision.placements.find((w) => w.placement === p)?.campaign ?? null);
    const projected = engine.decide(project(context), state, now);
    if (JSON.stringify(projected) !== JSON.stringify(decision)) {
      console.error(`DECISIONS DIFFER at ${n} campaigns, context #${i}: perso on the context projected to engine.references() decides otherwise`);
      process.exit(1);
    }
    const data = closureData(context, state, now);
    const every = js.everyRule(data);
    const early = js.earlyExit(data);
    for (const [name, got] of [["every-rule", every], ["early-exit", early]]) {
      if (JSON.stringify(got) !== JSON.stringify(persoWinners)) {
        console.error(`DECISIONS DIFFER at ${n} campaigns, context #${i}: perso ${JSON.stringify(persoWinners)}, JS ${name} ${JSON.stringify(got)}`);
        console.error(JSON.stringify({ context, state }));
        process.exit(1);
      }
    }
    evaluations += js.rules;
    matches += js.matchCount(data);
    earlyExitEvaluations += js.earlyExitEvaluations(data);
    winners += persoWinners.filter((w) => w !== null).length;
  });

  if (options.check) {
    console.log(`${n} campaigns: perso and both JS decisions agree on all ${inputs.length} contexts`);
    engine.free();
    continue;
  }

  // 2. Times, per decision. `stringify` and `parse` are the JS halves of the facade's
  // JSON round trip (it stringifies context and state, and parses the decision's
  // JSON), timed alone for the split.
  for (const input of inputs) input.decisionJson = JSON.stringify(engine.decide(input.context, input.state, now));
  const emptyEngine = perso.Engine.fromBundle(JSON.stringify({ ...workload.bundle, campaigns: [] }));
  const t = measure(inputs, {
    perso: ({ context, state }) => engine.decide(context, state, now),
    // The fixed cost of a decision through the facade: the same bundle without
    // campaigns (JSON both ways, context and state parsing, an empty decision).
    floor: ({ context, state }) => emptyEngine.decide(context, state, now),
    // A host-side saving available today: send only the paths the bundle reads.
    projected: ({ context, state }) => engine.decide(project(context), state, now),
    stringify: ({ context, state }) => JSON.stringify(context).length + JSON.stringify(state).length,
    parse: ({ decisionJson }) => JSON.parse(decisionJson),
    every: ({ context, state }) => js.everyRule(closureData(context, state, now)),
    early: ({ context, state }) => js.earlyExit(closureData(context, state, now)),
  });
  const wasmCompileMs = timeOnce(() => perso.Engine.fromBundle(bundleText).free() ?? 1);
  const jsCompileMs = timeOnce(() => compileBundle(JSON.parse(bundleText)).rules);

  rows.push({
    campaigns: n,
    contexts: inputs.length,
    match_rate: matches / evaluations,
    winner_rate: winners / (inputs.length * js.placementIds.length),
    early_exit_rules_per_decision: earlyExitEvaluations / inputs.length,
    perso_us: t.perso.median / 1e3,
    perso_min_us: t.perso.min / 1e3,
    perso_projected_us: t.projected.median / 1e3,
    floor_us: t.floor.median / 1e3,
    stringify_context_state_us: t.stringify.median / 1e3,
    parse_decision_us: t.parse.median / 1e3,
    js_every_rule_us: t.every.median / 1e3,
    js_ns_per_rule: t.every.median / js.rules,
    js_early_exit_us: t.early.median / 1e3,
    x_vs_every_rule: ratio(t.every, t.perso),
    x_vs_early_exit: ratio(t.early, t.perso),
    wasm_compile_ms: wasmCompileMs,
    js_compile_ms: jsCompileMs,
    samples_ns: Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v.samples.map((x) => Math.round(x))])),
  });
  engine.free();
  emptyEngine.free();
}

if (options.check) process.exit(0);
console.log(`decisions agree (perso through wasm, JS every-rule, JS early-exit) on every context`);
console.log(`package ${pkg.pathname}; node ${process.version}; median of ${RUNS} runs`);
const round = (v, digits) => Number(v.toFixed(digits));
console.log("per decision (µs: median of rounds, min in brackets); x = within-round ratio JS / perso, median");
console.table(
  rows.map((r) => ({
    campaigns: r.campaigns,
    "match %": round(100 * r.match_rate, 1),
    "winner %": round(100 * r.winner_rate, 1),
    "rules to winners": round(r.early_exit_rules_per_decision, 1),
    "perso µs": `${r.perso_us.toFixed(2)} [${r.perso_min_us.toFixed(2)}]`,
    "JS every µs": round(r.js_every_rule_us, 1),
    "JS ns/rule": round(r.js_ns_per_rule, 1),
    "JS early µs": round(r.js_early_exit_us, 2),
    "x every": round(r.x_vs_every_rule, 1),
    "x early": round(r.x_vs_early_exit, 2),
  })),
);
console.log("split, µs per decision: the facade's floor (same bundle without campaigns), perso with the context projected to engine.references(), the JS halves of the JSON round trip; compile, ms: median of 5");
console.table(
  rows.map((r) => ({
    campaigns: r.campaigns,
    "floor: no campaigns µs": round(r.floor_us, 2),
    "perso, context projected µs": round(r.perso_projected_us, 2),
    "stringify context+state µs": round(r.stringify_context_state_us, 2),
    "JSON.parse decision µs": round(r.parse_decision_us, 2),
    "wasm Engine.fromBundle ms": round(r.wasm_compile_ms, 2),
    "JS closures compile ms": round(r.js_compile_ms, 2),
  })),
);
const at1000 = rows.find((r) => r.campaigns === 1000);
if (at1000) {
  const verdict = (ok) => (ok ? "met" : "MISSED");
  console.log(`target: decide() at 1,000 campaigns through the JS boundary < 6 µs: ${at1000.perso_us.toFixed(2)} µs, ${verdict(at1000.perso_us < 6)}`);
  console.log(`target: > 15x faster than JS closures evaluating every rule: ${at1000.x_vs_every_rule.toFixed(1)}x, ${verdict(at1000.x_vs_every_rule > 15)}`);
}
if (options.json) writeFileSync(options.json, JSON.stringify({ node: process.version, runs: RUNS, rows }, null, 2));
if (sink < 0) console.log(sink);
