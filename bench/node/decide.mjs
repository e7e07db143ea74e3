// Node harness: perso's decide() through the JS boundary — the host kit on the lean
// wasm package (pkg/), the context as a storefront passes it (a plain object) and the
// visitor's state held in the engine — versus hand-written JavaScript closures
// compiled once per rule (./rules.mjs), on the same workload, interleaved in the same
// Node run. Checks first that perso and both JS variants pick the same winners on
// every context (exits 1 if not), then times them and the split of perso's time.
//
// Workload: cargo run --release -p perso-core --example gen_workload -- target/bench
// Package:  bash scripts/build-wasm.sh   (builds pkg/ and pkg-node/)
// Run:      node bench/node/decide.mjs [workload dir, default target/bench]
//           [--sizes 200,1000] [--runs 9] [--json results.json]
//           [--check]    only check that the decisions agree (no timing)
//           [--pkg DIR]  another web build of the lean package (default pkg/), to
//                        compare builds (e.g. opt-level 3 against the shipped one)
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { closureData, compileBundle } from "./rules.mjs";
import { createKit, SlotWriter, pathGetter } from "../../js/src/kit/index.js";

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
const pkg = options.pkg ? new URL(`file://${resolve(options.pkg)}/`) : new URL("pkg/", root);
const glue = await import(new URL("perso.js", pkg));
const exports = glue.initSync({ module: new WebAssembly.Module(readFileSync(new URL("perso_bg.wasm", pkg))) });
const kit = createKit(glue, exports);
const tools = createRequire(import.meta.url)(new URL("pkg-node/perso.js", root).pathname);
const BIG = 64 << 20; // the workload's largest bundles are over the product limit, on purpose

/** Results must be used, or the JIT may drop the work. */
let sink = 0;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Times several ways of deciding over the same `inputs`, interleaved: each round runs
 * every contender once (a whole number of passes over `inputs`, at least ~60 ms), so
 * load from other processes hits all of them alike. Returns, per contender, the median
 * and the minimum ns per call over RUNS rounds, and the per-round samples.
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

/** Median time of `fn()` over a few calls, in ms. */
function timeOnce(fn, times = 7) {
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
  const compiled = tools.compile(bundleText, { maxBytes: BIG });
  const engine = kit.loadBundle(compiled, { maxBytes: BIG });
  const js = compileBundle(workload.bundle);
  // Each context's visitor, held in the engine (as a page or a request holds it).
  const inputs = workload.contexts.map(({ context, state }) => {
    const fromJson = tools.Visitor.fromJson(JSON.stringify(state));
    const bytes = fromJson.toBytes(4096);
    fromJson.free();
    return { context, state, stateBytes: bytes, visitor: kit.visitorFromBytes(bytes) };
  });

  // 1. Same decisions, every context, before any timing.
  let winners = 0;
  inputs.forEach(({ context, state, visitor }, i) => {
    const decision = engine.decide(context, visitor, now);
    const persoWinners = js.placementIds.map((p) => decision.placements.find((w) => w.placement === p)?.campaign ?? null);
    const data = closureData(context, state, now);
    for (const [name, got] of [["every-rule", js.everyRule(data)], ["early-exit", js.earlyExit(data)]]) {
      if (JSON.stringify(got) !== JSON.stringify(persoWinners)) {
        console.error(`DECISIONS DIFFER at ${n} campaigns, context #${i}: perso ${JSON.stringify(persoWinners)}, JS ${name} ${JSON.stringify(got)}`);
        console.error(JSON.stringify({ context, state }));
        process.exit(1);
      }
    }
    winners += persoWinners.filter((w) => w !== null).length;
  });
  if (options.check) {
    console.log(`${n} campaigns: perso and both JS decisions agree on all ${inputs.length} contexts`);
    for (const input of inputs) input.visitor.free();
    engine.free();
    continue;
  }

  // 2. Times, per decision, and the split of perso's: writing the context (host work,
  // the same SlotWriter and getters the kit uses), the crossing plus the engine's
  // work (input copy, the wasm call), and reading the decision back.
  const writer = new SlotWriter();
  const getters = engine.slots.map(pathGetter);
  const memory = exports.memory;
  const encode = ({ context }) => {
    writer.reset();
    for (let i = 0; i < getters.length; i++) writer.value(getters[i](context));
    return writer.length;
  };
  const prepared = inputs.map((input) => ({ ...input, encoded: (encode(input), writer.written.slice()) }));
  const raw = ({ encoded, visitor }) => {
    const ptr = engine.handle.input(encoded.length);
    new Uint8Array(memory.buffer, ptr, encoded.length).set(encoded);
    return engine.handle.decide(visitor.handle, encoded.length, now) >= 0;
  };
  const t = measure(prepared, {
    perso: ({ context, visitor }) => engine.decide(context, visitor, now),
    // The state crossing too, as an edge request pays it: compact bytes in, one handle.
    persoWithState: ({ context, stateBytes }) => {
      const visitor = kit.visitorFromBytes(stateBytes);
      const decision = engine.decide(context, visitor, now);
      visitor.free();
      return decision;
    },
    encode,
    raw,
    every: ({ context, state }) => js.everyRule(closureData(context, state, now)),
    early: ({ context, state }) => js.earlyExit(closureData(context, state, now)),
  });
  const loadMs = timeOnce(() => kit.loadBundle(compiled, { maxBytes: BIG }).free() ?? 1);
  const jsonCompileMs = timeOnce(() => tools.compile(bundleText, { maxBytes: BIG }).length, 3);
  const jsCompileMs = timeOnce(() => compileBundle(JSON.parse(bundleText)).rules);

  rows.push({
    campaigns: n,
    contexts: inputs.length,
    winner_rate: winners / (inputs.length * js.placementIds.length),
    compiled_bytes: compiled.length,
    json_bytes: bundleText.length,
    perso_us: t.perso.median / 1e3,
    perso_min_us: t.perso.min / 1e3,
    perso_with_state_us: t.persoWithState.median / 1e3,
    encode_us: t.encode.median / 1e3,
    raw_us: t.raw.median / 1e3,
    assemble_us: Math.max(0, (t.perso.median - t.raw.median - t.encode.median) / 1e3),
    js_every_rule_us: t.every.median / 1e3,
    js_early_exit_us: t.early.median / 1e3,
    x_vs_every_rule: ratio(t.every, t.perso),
    x_vs_early_exit: ratio(t.early, t.perso),
    wasm_load_ms: loadMs,
    wasm_compile_json_ms: jsonCompileMs,
    js_closures_compile_ms: jsCompileMs,
    wasm_memory_bytes: memory.buffer.byteLength,
    samples_ns: Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v.samples.map((x) => Math.round(x))])),
  });
  for (const input of inputs) input.visitor.free();
  engine.free();
}

if (options.check) process.exit(0);
console.log(`decisions agree (perso through the kit on ${pkg.pathname}, JS every-rule, JS early-exit) on every context`);
console.log(`node ${process.version}; median of ${RUNS} runs; x = within-round ratio JS / perso, median (> 1: perso faster)`);
const round = (v, digits) => Number(v.toFixed(digits));
console.table(
  rows.map((r) => ({
    campaigns: r.campaigns,
    "perso µs": `${r.perso_us.toFixed(2)} [${r.perso_min_us.toFixed(2)}]`,
    "+ state in µs": round(r.perso_with_state_us, 2),
    "JS early µs": round(r.js_early_exit_us, 2),
    "x early": round(r.x_vs_early_exit, 2),
    "JS every µs": round(r.js_every_rule_us, 1),
    "x every": round(r.x_vs_every_rule, 1),
  })),
);
console.log("split of perso's µs per decision: writing the context (host), the input copy + wasm call (crossing + engine), reading the decision back (host); load and compile ms");
console.table(
  rows.map((r) => ({
    campaigns: r.campaigns,
    "write context µs": round(r.encode_us, 2),
    "copy + wasm µs": round(r.raw_us, 2),
    "read decision µs": round(r.assemble_us, 2),
    "load bundle.bin ms": round(r.wasm_load_ms, 2),
    "compile JSON (tools) ms": round(r.wasm_compile_json_ms, 1),
    "JS closures compile ms": round(r.js_closures_compile_ms, 2),
    "bin / JSON KB": `${Math.round(r.compiled_bytes / 1024)} / ${Math.round(r.json_bytes / 1024)}`,
    "wasm memory KB": Math.round(r.wasm_memory_bytes / 1024),
  })),
);
const at1000 = rows.find((r) => r.campaigns === 1000);
if (at1000) {
  const verdict = (ok) => (ok ? "met" : "MISSED");
  console.log(`target: decide() at 1,000 campaigns through the JS boundary <= 6 µs: ${at1000.perso_us.toFixed(2)} µs, ${verdict(at1000.perso_us <= 6)}`);
  for (const r of rows) console.log(`target: faster than the JS closures with the same early exit at ${r.campaigns}: ${r.x_vs_early_exit.toFixed(2)}x, ${verdict(r.x_vs_early_exit > 1)}`);
  console.log(`target: a 1,000-campaign bundle ready to decide in <= 5 ms in wasm: ${at1000.wasm_load_ms.toFixed(2)} ms, ${verdict(at1000.wasm_load_ms <= 5)}`);
}
if (options.json) writeFileSync(options.json, JSON.stringify({ node: process.version, runs: RUNS, rows }, null, 2));
if (sink < 0) console.log(sink);
