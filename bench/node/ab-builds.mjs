// A/B of lean web builds (`node bench/node/ab-builds.mjs 1000 pkg /tmp/other-pkg`) in one Node process: memory after load + decides
// (separate instances), load ms and decide µs interleaved (median of within-round ratios).
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { createRequire } from "node:module";
import { createKit } from "../../js/src/kit/index.js";
const [n = "1000", ...dirs] = process.argv.slice(2);
const tools = createRequire(import.meta.url)("../../pkg-node/perso.js");
const workload = JSON.parse(readFileSync(new URL(`../../target/bench/workload-${n}.json`, import.meta.url), "utf8"));
const compiled = tools.compile(JSON.stringify(workload.bundle), { maxBytes: 64 << 20 });
const now = workload.now_ms;
const builds = [];
for (const dir of dirs.map((d) => resolve(d))) {
  // Import each glue under a distinct URL so each has its own instance.
  const glue = await import(`${dir}/perso.js?${builds.length}`);
  const exports = glue.initSync({ module: new WebAssembly.Module(readFileSync(`${dir}/perso_bg.wasm`)) });
  const kit = createKit(glue, exports);
  const initial = exports.memory.buffer.byteLength;
  const engine = kit.loadBundle(compiled, { maxBytes: 64 << 20 });
  const afterLoad = exports.memory.buffer.byteLength;
  const inputs = workload.contexts.map(({ context, state }) => {
    const v = tools.Visitor.fromJson(JSON.stringify(state));
    const bytes = v.toBytes(4096); v.free();
    return { context, visitor: kit.visitorFromBytes(bytes) };
  });
  for (const { context, visitor } of inputs) engine.decide(context, visitor, now);
  builds.push({ dir, kit, engine, inputs, exports, mem: { initial, afterLoad, afterDecide: exports.memory.buffer.byteLength } });
}
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
let sink = 0;
const decidePass = (b) => { const t = process.hrtime.bigint(); for (const { context, visitor } of b.inputs) sink += b.engine.decide(context, visitor, now).placements.length; return Number(process.hrtime.bigint() - t) / b.inputs.length / 1e3; };
const loadOnce = (b) => { const t = process.hrtime.bigint(); b.kit.loadBundle(compiled, { maxBytes: 64 << 20 }).free(); return Number(process.hrtime.bigint() - t) / 1e6; };
for (let w = 0; w < 30; w++) for (const b of builds) decidePass(b);
const dec = builds.map(() => []), load = builds.map(() => []);
for (let r = 0; r < 40; r++) builds.forEach((b, i) => { let s = 0; for (let k = 0; k < 5; k++) s += decidePass(b); dec[i].push(s / 5); });
for (let r = 0; r < 15; r++) builds.forEach((b, i) => load[i].push(loadOnce(b)));
builds.forEach((b, i) => {
  console.log(`${b.dir}: memory initial ${b.mem.initial} B, after load ${b.mem.afterLoad} B, after ${b.inputs.length} decides ${b.mem.afterDecide} B, after 15 reloads ${b.exports.memory.buffer.byteLength} B; decide median ${med(dec[i]).toFixed(2)} µs; load median ${med(load[i]).toFixed(2)} ms; vs first: decide x${med(dec[i].map((x, k) => x / dec[0][k])).toFixed(3)}, load x${med(load[i].map((x, k) => x / load[0][k])).toFixed(3)}`);
});
if (sink < 0) console.log(sink);
