// Node harness: perso's decide() through the JS boundary versus hand-written
// JavaScript closures (compiled once per rule, no eval) on the same workload, in the
// same run. Workload: `cargo run --release -p perso-core --example gen_workload -- target/bench`.
// Run: node bench/node/decide.mjs [target/bench]
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const root = new URL("../../", import.meta.url);
const perso = require(new URL("pkg-node/perso.js", root).pathname);
const dir = new URL(`${process.argv[2] ?? "target/bench"}/`, root);

// JsonLogic subset -> closures, for exactly the operators the workload uses. Reads the
// context object directly (the JS baseline gets the context for free).
function compile(rule) {
  if (rule === null || typeof rule !== "object" || Array.isArray(rule)) return () => rule;
  const [op] = Object.keys(rule);
  const args = Array.isArray(rule[op]) ? rule[op] : [rule[op]];
  switch (op) {
    case "var": {
      const path = String(args[0]).split(".");
      return (data) => {
        let v = data;
        for (const key of path) {
          if (v == null) return null;
          v = v[key];
        }
        return v === undefined ? null : v;
      };
    }
    case "and": { const fs = args.map(compile); return (d) => fs.every((f) => f(d)); }
    case "or": { const fs = args.map(compile); return (d) => fs.some((f) => f(d)); }
    case "==": { const [a, b] = args.map(compile); return (d) => a(d) == b(d); }
    case ">": { const [a, b] = args.map(compile); return (d) => a(d) > b(d); }
    case ">=": { const [a, b] = args.map(compile); return (d) => a(d) >= b(d); }
    case "<=": {
      const [a, b, c] = args.map(compile);
      return (d) => { const m = b(d); return a(d) <= m && m <= c(d); };
    }
    case "in": {
      const needle = compile(args[0]);
      const set = args[1];
      return (d) => set.includes(needle(d));
    }
    case "some": {
      const list = compile(args[0]);
      const body = compile(args[1]);
      return (d) => { const xs = list(d); return Array.isArray(xs) && xs.some((x) => body(x)); };
    }
    default: throw new Error(`operator ${op} not in the baseline`);
  }
}

function baseline(bundle) {
  const placements = bundle.placements.map((p) => ({
    id: p.id,
    rules: bundle.campaigns
      .map((c, index) => ({ id: c.id, index, priority: c.priority, test: compile(c.condition), placement: c.placement }))
      .filter((c) => c.placement === p.id)
      .sort((a, b) => b.priority - a.priority || a.index - b.index),
  }));
  const all = placements.flatMap((p) => p.rules);
  return {
    // Classic per-rule evaluation: every rule, every time.
    everyRule(data) {
      const matched = new Set();
      for (const rule of all) if (rule.test(data)) matched.add(rule.id);
      return placements.map((p) => p.rules.find((r) => matched.has(r.id))?.id ?? null);
    },
    // The same early exit perso uses.
    earlyExit(data) {
      return placements.map((p) => p.rules.find((r) => r.test(data))?.id ?? null);
    },
    rules: all.length,
  };
}

function time(label, iterations, fn) {
  for (let i = 0; i < Math.min(iterations, 2000); i++) fn(i); // warm-up
  const runs = [];
  for (let r = 0; r < 5; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn(i);
    runs.push(Number(process.hrtime.bigint() - start) / iterations);
  }
  runs.sort((a, b) => a - b);
  return runs[2]; // median of 5, ns per call
}

const rows = [];
for (const n of [200, 1000, 5000, 10000]) {
  const workload = JSON.parse(readFileSync(new URL(`workload-${n}.json`, dir)));
  const engine = perso.Engine.fromBundle(JSON.stringify(workload.bundle));
  const js = baseline(workload.bundle);
  const now = workload.now_ms;
  // The JS baseline reads a context with the derived facts already filled in: time on
  // site from the state, cart total and count from the lines (as the engine derives them).
  const inputs = workload.contexts.map(({ context, state }) => {
    const items = context.cart?.items ?? [];
    const cart = { ...context.cart, total: items.reduce((t, i) => t + i.price * (i.qty ?? 1), 0), count: items.reduce((t, i) => t + (i.qty ?? 1), 0) };
    return { context, state, data: { ...context, cart, session: { time_on_site_s: Math.floor((now - state.session.start_ms) / 1000) } } };
  });
  for (const input of inputs) {
    const winners = engine.decide(input.context, input.state, now).placements;
    const perso_ = workload.bundle.placements.map((p) => winners.find((w) => w.placement === p.id)?.campaign ?? null);
    const a = js.everyRule(input.data), b = js.earlyExit(input.data);
    if (JSON.stringify(perso_) !== JSON.stringify(a) || JSON.stringify(a) !== JSON.stringify(b)) {
      throw new Error(`decisions differ at ${n} campaigns: perso ${perso_}, js ${a} / ${b}`);
    }
  }
  const k = inputs.length;
  const iterations = n >= 5000 ? 2000 : 20000;
  const persoNs = time("perso", iterations, (i) => { const x = inputs[i % k]; engine.decide(x.context, x.state, now); });
  const everyNs = time("every", Math.max(200, iterations / 10), (i) => js.everyRule(inputs[i % k].data));
  const earlyNs = time("early", iterations, (i) => js.earlyExit(inputs[i % k].data));
  rows.push({ campaigns: n, perso_us: persoNs / 1000, js_every_rule_us: everyNs / 1000, js_ns_per_rule: everyNs / js.rules,
    js_early_exit_us: earlyNs / 1000, speedup_vs_every_rule: everyNs / persoNs, speedup_vs_early_exit: earlyNs / persoNs });
  engine.free();
}
console.log("decisions agree (perso, JS every-rule, JS early-exit) on every context");
console.table(rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === "number" && k !== "campaigns" ? Number(v.toFixed(k.startsWith("speedup") ? 1 : 2)) : v]))));
