// Load benchmark of the edge worker (results: bench/results/edge.md).
//
// Three targets, same fixture origin (its own process), same page:
//   origin   — the origin served directly (no worker)
//   proxy    — a worker that only forwards to the origin (workerd's own cost)
//   perso    — the perso worker (src/edge-entry.js, production entry): verifies the
//              state and customer cookies, decides, rewrites the slots, signs the new state
// The load comes from autocannon in a separate process on loopback, bounded in
// request count; each target is warmed up first. workerd's resident memory is
// sampled during the perso rounds to show it stays flat.
//
// Two measurements per target: throughput under saturation (closed loop, --connections
// in flight), then added latency at a fixed, unsaturated rate (--rate req/s), where
// p50/p99 are not queueing time. The perso worker runs the production handler through
// test/worker-under-test.js, whose only additions are a clock header (unused here) and
// a route reporting the size of the engine's linear memory.
//
// Then a time-to-first-byte probe on /slow, an origin page that flushes its <head> at
// once and the rest 50 ms later: the perso worker holds a page until it has all of it
// (so that a rewriter failure can still return the origin's bytes), and this shows
// what that costs against the streamed origin and the forwarding worker.
//
// Worker CPU time per page is read from the kernel (utime + stime of the workerd
// processes, /proc/<pid>/stat) over each saturated round, divided by the requests
// served: the forwarding worker's figure is workerd's own cost, perso's minus it is
// what perso adds. The first request after start-up (isolate, wasm instance, bundle
// verified and loaded, first decision) is timed too.
//
// The bundle is what the worker's tree takes: the compiled bundle.bin (base64) when
// test/harness.js has one (the lean engine), else the JSON bundle (the engine before),
// so the same script measures both trees (bench/results/edge.md, Run 4).
//
// Usage: node bench/edge-load.mjs [--requests 10000] [--connections 10] [--rounds 5]
//                                 [--rate 200] [--rate-requests 3000] [--path /] [--probes 40]

import { spawn, execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { parseArgs } from "node:util";
import * as harness from "../test/harness.js";
import { mintCustomerCookie } from "../src/customer-cookie.js";

process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
const { values: args } = parseArgs({
  options: {
    requests: { type: "string", default: "10000" },
    rate: { type: "string", default: "200" },
    "rate-requests": { type: "string", default: "3000" },
    connections: { type: "string", default: "10" },
    rounds: { type: "string", default: "5" },
    path: { type: "string", default: "/" },
    probes: { type: "string", default: "40" },
  },
});
const edgeDir = fileURLToPath(new URL("../", import.meta.url));
const autocannon = `${edgeDir}node_modules/.bin/autocannon`;

function startOriginProcess() {
  const child = spawn(process.execPath, [`${edgeDir}test/fixtures/origin.js`], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve) => child.stdout.once("data", (d) => resolve({ child, url: String(d).trim() })));
}

const RULES = [{ type: "ESModule", include: ["**/*.js", "**/*.mjs"] }, { type: "CompiledWasm", include: ["**/*.wasm"] }];

async function startWorker(options) {
  const mf = new Miniflare({ modules: true, modulesRoot: REPO, modulesRules: RULES, compatibilityDate: "2025-09-01", host: "127.0.0.1", ...options });
  return { mf, url: String(await mf.ready).replace(/\/$/, "") };
}

function workerdPids() {
  const out = execFileSync("ps", ["-eo", "pid,ppid,comm"], { encoding: "utf8" });
  const rows = out.trim().split("\n").slice(1).map((l) => l.trim().split(/\s+/));
  const children = (pid) => rows.filter((r) => r[1] === String(pid)).map((r) => r[0]);
  const all = [];
  const queue = children(process.pid);
  while (queue.length) {
    const pid = queue.shift();
    all.push(pid);
    queue.push(...children(pid));
  }
  return all.filter((pid) => rows.find((r) => r[0] === pid)?.[2] === "workerd");
}

const rssKb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
const TICK_MS = 1000 / Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
/** CPU time (user + system, ms) the processes have used so far. */
const cpuMs = (pids) =>
  pids.reduce((sum, pid) => {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return sum + (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  }, 0);

function load(url, headers, amount, rate) {
  const argv = ["-c", args.connections, "-a", String(amount), "-t", "10", "--json"];
  if (rate) argv.push("-R", String(rate));
  for (const [name, value] of Object.entries(headers)) argv.push("-H", `${name}=${value}`);
  argv.push(url);
  const out = execFileSync(autocannon, argv, { encoding: "utf8", maxBuffer: 1 << 26, stdio: ["ignore", "pipe", "ignore"] });
  const r = JSON.parse(out);
  return { rps: r.requests.total / r.duration, p50: r.latency.p50, p99: r.latency.p99, mean: r.latency.mean, errors: r.errors + r.non2xx, total: r.requests.total };
}

const origin = await startOriginProcess();
// The origin is a child process: never leave it behind, whatever ends this one.
process.on("exit", () => origin.child.kill());
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(130));
const { generateSigner, STATE_KEY, CUSTOMER_KEY, REPO } = harness;
const signer = await generateSigner();
const compiled = harness.BUNDLE_BIN !== undefined;
const bundleBindings = compiled
  ? { PERSO_BUNDLE: harness.base64(harness.BUNDLE_BIN), PERSO_BUNDLE_SIG: await signer.sign(harness.BUNDLE_BIN) }
  : { PERSO_BUNDLE: harness.BUNDLE_TEXT, PERSO_BUNDLE_SIG: await signer.sign(harness.BUNDLE_TEXT) };
const perso = await startWorker({
  scriptPath: `${edgeDir}test/worker-under-test.js`,
  bindings: {
    PERSO_PUBLIC_KEYS: signer.publicKey,
    ...bundleBindings,
    PERSO_STATE_KEY: STATE_KEY,
    PERSO_CUSTOMER_KEY: CUSTOMER_KEY,
    PERSO_ORIGIN: origin.url,
  },
});
const persoPids = workerdPids();
const proxy = await startWorker({
  script: `export default { fetch: (request, env) => { const u = new URL(request.url); return fetch(new Request(new URL(u.pathname + u.search, env.ORIGIN), request)); } };`,
  bindings: { ORIGIN: origin.url },
});
const proxyPids = workerdPids().filter((pid) => !persoPids.includes(pid));
const rss = (pids) => pids.map((pid) => (rssKb(pid) / 1024).toFixed(0)).join("+");
// A fresh connection each time: the pooled one may have been closed during the load.
const wasmMb = async () => {
  const { get } = await import("node:http");
  const body = await new Promise((resolve, reject) => get(`${perso.url}/__test/memory`, { agent: false }, (res) => {
    let text = "";
    res.on("data", (chunk) => (text += chunk)).on("end", () => resolve(text));
  }).on("error", reject));
  return (JSON.parse(body).wasm_bytes / 1048576).toFixed(2);
};

// A returning known customer who came from gadgets.com: both cookies verified, the
// decision fills three slots, a new state cookie is signed on every response.
const coldStart = performance.now();
const first = await fetch(`${perso.url}/`, { headers: { referer: "https://gadgets.com/review" } });
await first.arrayBuffer();
const coldMs = performance.now() - coldStart;
const state = first.headers.getSetCookie()[0].split(";")[0];
const customer = await mintCustomerCookie({ first_name: "Ada", ltv_band: "high", rfm: { score: 14 } }, CUSTOMER_KEY, { expiresAtMs: Date.now() + 86_400_000 });
const headers = { cookie: `${state}; perso_customer=${customer}`, "user-agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/126", "accept-language": "en-US" };
const check = await (await fetch(`${perso.url}${args.path}`, { headers })).text();
if (!/data-perso-rendered="hv-welcome"/.test(check) || !/data-perso-rendered="aff-hero"/.test(check)) throw new Error("the perso worker did not personalize the benchmark page");

const amount = Number(args.requests);
const results = {};
const fixedRate = {};
for (const [name, base, pids] of [["origin", origin.url, null], ["proxy", proxy.url, proxyPids], ["perso", perso.url, persoPids]]) {
  load(`${base}${args.path}`, headers, 2000); // warm-up
  const rounds = [];
  const before = pids ? rss(pids) : "-";
  for (let i = 0; i < Number(args.rounds); i++) {
    const cpuBefore = pids ? cpuMs(pids) : 0;
    const result = load(`${base}${args.path}`, headers, amount);
    if (pids) result.cpuMsPerRequest = (cpuMs(pids) - cpuBefore) / result.total;
    if (pids) result.rssMb = rss(pids);
    if (name === "perso") result.wasmMb = await wasmMb();
    rounds.push(result);
  }
  results[name] = { rounds, before };
  fixedRate[name] = load(`${base}${args.path}`, headers, Number(args["rate-requests"]), Number(args.rate));
}

/** Median ms to the response headers, to the first body byte and to the last, one request at a time. */
async function firstByteProbe(base, count) {
  const samples = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    const response = await fetch(`${base}/slow`, { headers });
    const head = performance.now();
    const reader = response.body.getReader();
    let first = null;
    for (;;) {
      const { done } = await reader.read();
      first ??= performance.now();
      if (done) break;
    }
    samples.push([head - start, first - start, performance.now() - start]);
  }
  const mid = (index) => samples.map((s) => s[index]).sort((a, b) => a - b)[Math.floor(count / 2)];
  return { headers: mid(0), firstByte: mid(1), complete: mid(2) };
}
const probes = {};
for (const [name, base] of [["origin", origin.url], ["proxy", proxy.url], ["perso", perso.url]]) probes[name] = await firstByteProbe(base, Number(args.probes));

const cores = execFileSync("nproc", { encoding: "utf8" }).trim();
console.log(`# bundle: ${compiled ? "compiled bundle.bin (lean engine)" : "JSON bundle (engine before the lean one)"}; first request after start-up ${coldMs.toFixed(1)} ms`);
console.log(`# saturated: ${amount} requests x ${args.rounds} rounds per target, ${args.connections} connections, GET ${args.path}; node ${process.version}, ${cores} cores (shared)`);
console.log("| target | round | req/s | p50 ms | p99 ms | errors | workerd CPU ms/request | workerd RSS MB after round (before: first row) | engine wasm memory MB |");
console.log("|---|---|---|---|---|---|---|---|---|");
for (const [name, { rounds, before }] of Object.entries(results)) {
  rounds.forEach((r, i) => console.log(`| ${name} | ${i + 1} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.cpuMsPerRequest?.toFixed(3) ?? "-"} | ${i === 0 ? `${before} -> ` : ""}${r.rssMb ?? "-"} | ${r.wasmMb ?? "-"} |`));
}
console.log(`\n# fixed rate: ${args["rate-requests"]} requests at ${args.rate} req/s, ${args.connections} connections`);
console.log("| target | req/s | p50 ms | p99 ms | mean ms | errors |");
console.log("|---|---|---|---|---|---|");
for (const [name, r] of Object.entries(fixedRate)) console.log(`| ${name} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.mean.toFixed(2)} | ${r.errors} |`);
console.log(`\n# time to first byte: GET /slow (head at once, the rest 50 ms later), ${args.probes} sequential requests, medians`);
console.log("| target | headers ms | first byte ms | complete ms |");
console.log("|---|---|---|---|");
for (const [name, r] of Object.entries(probes)) console.log(`| ${name} | ${r.headers.toFixed(1)} | ${r.firstByte.toFixed(1)} | ${r.complete.toFixed(1)} |`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rps = (name) => median(results[name].rounds.map((r) => r.rps));
const cpu = (name) => median(results[name].rounds.map((r) => r.cpuMsPerRequest));
console.log(`\nmedian saturated req/s: origin ${rps("origin").toFixed(0)}, proxy-only worker ${rps("proxy").toFixed(0)}, perso worker ${rps("perso").toFixed(0)}`);
console.log(`median workerd CPU per request: proxy-only ${cpu("proxy").toFixed(3)} ms, perso ${cpu("perso").toFixed(3)} ms; perso adds ${(cpu("perso") - cpu("proxy")).toFixed(3)} ms`);
console.log(`added latency at ${args.rate} req/s, perso vs origin: p50 +${(fixedRate.perso.p50 - fixedRate.origin.p50).toFixed(2)} ms, p99 +${(fixedRate.perso.p99 - fixedRate.origin.p99).toFixed(2)} ms; perso vs proxy-only worker: p50 +${(fixedRate.perso.p50 - fixedRate.proxy.p50).toFixed(2)} ms, p99 +${(fixedRate.perso.p99 - fixedRate.proxy.p99).toFixed(2)} ms`);

await perso.mf.dispose();
await proxy.mf.dispose();
origin.child.kill();
