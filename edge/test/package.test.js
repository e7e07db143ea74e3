// The worker as a package (issue 13): `npm run dev` (wrangler dev, local mode) in front
// of a throwaway origin serves a personalized page; `wrangler deploy --dry-run` builds
// the shipped wrangler.toml; the TypeScript types compile against a strict consumer;
// the log lines the deploy guide documents are the ones the code writes.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startOrigin } from "./fixtures/origin.js";
import { BUNDLE_BIN, BUNDLE_TEXT, STATE_KEY, base64, compileBundle, generateSigner, renderedCampaign, REPO, startEdge } from "./harness.js";
import { GADGETS_REFERER } from "./helpers.js";

const EDGE = fileURLToPath(new URL("../", import.meta.url));
const WRANGLER = join(EDGE, "node_modules/.bin/wrangler");
// No telemetry, no update check, no Cloudflare network: the machine reaches none of it.
const ENV = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", NO_UPDATE_NOTIFIER: "1", CI: "1" };

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

test("npm run dev puts the worker in front of a local origin (.dev.vars-style file) and personalizes its page", { timeout: 120_000 }, async () => {
  const signer = await generateSigner("dev-1");
  const origin = await startOrigin({ bundle: BUNDLE_BIN, signature: await signer.sign(BUNDLE_BIN) });
  const dir = mkdtempSync(join(tmpdir(), "perso-dev-"));
  const devVars = join(dir, ".dev.vars");
  // The same KEY=VALUE lines as .dev.vars.example, given with --env-file so that a
  // developer's own edge/.dev.vars is neither used nor touched.
  writeFileSync(devVars, [
    `PERSO_ORIGIN=${origin.url}`,
    `PERSO_BUNDLE_URL=${origin.url}/perso/bundle.bin`,
    `PERSO_PUBLIC_KEYS=dev-1:${signer.publicKey}`,
    `PERSO_STATE_KEYS=dev:${STATE_KEY}`,
    "",
  ].join("\n"));
  const [port, inspectorPort] = [await freePort(), await freePort()];
  const dev = spawn("npm", ["run", "dev", "--", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspectorPort),
    "--env-file", devVars, "--persist-to", join(dir, "state"), "--show-interactive-dev-session=false"], { cwd: EDGE, env: ENV, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const ready = new Promise((resolve, reject) => {
    const watch = (chunk) => {
      output += chunk;
      if (/Ready on http/.test(output)) resolve();
    };
    dev.stdout.on("data", watch);
    dev.stderr.on("data", watch);
    dev.once("exit", (code) => reject(new Error(`wrangler dev exited (${code}):\n${output}`)));
  });
  try {
    await ready;
    const response = await fetch(`http://127.0.0.1:${port}/`, { headers: { referer: GADGETS_REFERER } });
    const page = await response.text();
    assert.equal(response.status, 200, output);
    assert.equal(renderedCampaign(page, "hero"), "aff-hero", `personalized through wrangler dev:\n${page.slice(0, 300)}\n${output}`);
    assert.ok(response.headers.getSetCookie().some((c) => c.startsWith("perso_state=v1.")));
    assert.ok(origin.requests.some((r) => r.path === "/perso/bundle.bin"), "the compiled bundle came from the local origin");
  } finally {
    // npm runs wrangler, which runs workerd: end the whole process group this test started.
    try {
      process.kill(-dev.pid, "SIGTERM");
    } catch {}
    await new Promise((resolve) => (dev.exitCode !== null ? resolve() : dev.once("exit", resolve)));
    await origin.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("wrangler deploy --dry-run builds the shipped wrangler.toml: the worker and its wasm as a module", { timeout: 60_000 }, () => {
  const out = mkdtempSync(join(tmpdir(), "perso-dry-run-"));
  try {
    const log = execFileSync(WRANGLER, ["deploy", "--dry-run", "--outdir", out], { cwd: EDGE, env: ENV, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    assert.match(log, /--dry-run: exiting now/);
    const files = readdirSync(out);
    assert.ok(files.includes("edge-entry.js"), files.join(", "));
    assert.ok(files.some((name) => name.endsWith("perso_bg.wasm")), "the engine ships as its own wasm module");
    const worker = readFileSync(join(out, "edge-entry.js"), "utf8");
    assert.doesNotMatch(worker, /\beval\(|new Function\(/, "CSP-strict: no eval");
    assert.doesNotMatch(worker, /__test\//, "no test routes in the deployed worker");
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test("the worker's TypeScript types (edge/types) compile against a strict consumer", { timeout: 60_000 }, () => {
  try {
    execFileSync(process.execPath, [join(EDGE, "node_modules/typescript/bin/tsc"), "-p", join(EDGE, "types/tsconfig.json")], { stdio: "pipe" });
  } catch (error) {
    assert.fail(`tsc: ${error.stdout}${error.stderr}`);
  }
});

test("every log code the worker writes is documented in docs/edge-deploy.md, with the documented line shape", async () => {
  const doc = readFileSync(join(REPO, "docs/edge-deploy.md"), "utf8");
  const section = doc.slice(doc.indexOf("## 7. Log lines"));
  assert.ok(section.length > 100, "docs/edge-deploy.md has a '## 7. Log lines' section");
  const documented = new Map([...section.matchAll(/^\| `([a-z_]+)` \| (error|warn) \|/gm)].map((m) => [m[1], m[2]]));
  assert.match(section, /\{"perso":"edge","level":"error","code":"signature_mismatch","message":"[^"]+"\}/, "the documented example line");

  // Codes in the source: logEdge(level, "code", ...) / logOnce(level, "code", ...),
  // `error.code ?? "fallback"`, and the codes of the errors thrown.
  const written = new Map();
  const src = join(EDGE, "src");
  for (const file of readdirSync(src)) {
    const text = readFileSync(join(src, file), "utf8");
    for (const m of text.matchAll(/log(?:Edge|Once)\("(error|warn)", "([a-z_]+)"/g)) written.set(m[2], m[1]);
    for (const m of text.matchAll(/log(?:Edge|Once)\("(error|warn)", (?:error|failure)\.code \?\? "([a-z_]+)"/g)) written.set(m[2], m[1]);
    for (const m of text.matchAll(/new BundleError\(\s*"([a-z_]+)"/g)) written.set(m[1], "error");
  }
  // Codes that come from the kit's errors (js/src/kit/errors.js, signature.js; the
  // engine's records) through `error.code`.
  for (const code of [
    "config", "rollback", "expired", "bundle_format", "bundle_invalid", "bundle_version", "bundle_too_costly", "signature_invalid",
    "signature_untrusted", "signature_mismatch", "signature_unsupported", "context_invalid", "engine_trap", "engine_replaced", "internal",
  ]) {
    written.set(code, written.get(code) ?? "error");
  }
  for (const [code, level] of written) {
    assert.equal(documented.get(code), level, `log code "${code}" (${level}) is in the docs' table with its level`);
  }

  // And a line as workerd prints it has exactly the documented keys.
  const tampered = await startEdge({ bindings: { PERSO_BUNDLE: base64(compileBundle(BUNDLE_TEXT.replace("Welcome, Gadgets.com readers", "Welcome, tampered readers"))) } });
  try {
    await fetch(new URL("/", tampered.url)).then((r) => r.arrayBuffer());
    const line = tampered.logs.find((l) => l.includes('"code":"signature_mismatch"'));
    const entry = JSON.parse(line.slice(line.indexOf("{")));
    assert.deepEqual(Object.keys(entry), ["perso", "level", "code", "message"]);
    assert.deepEqual([entry.perso, entry.level], ["edge", "error"]);
  } finally {
    await tampered.close();
  }
});
