// The npm package as a store gets it: `npm pack` of js/ (dist/ as built), the
// tarball installed with npm into the Vite + React fixture app
// (test/fixtures/vite-react/, whose registry dependencies `npm ci` installed from its
// lockfile: .ci/setup), the app built offline with Vite, and a server for the build
// output that can also play the edge worker (fills slots in the HTML it sends, as
// edge/src/rewrite.js does). Every step is timed: the suite prints what it costs.
import { execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { compileBundle, signBundle } from "../serve.mjs";
import { createKit } from "../src/kit/index.js";
import { renderPlacement } from "../../edge/src/slot-markup.js";

const repo = fileURLToPath(new URL("../../", import.meta.url));
export const FIXTURE = `${repo}js/test/fixtures/vite-react/`;
const PACK_DIR = `${repo}test-output/pack/`;
const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'";

const npm = (args, cwd) => execFileSync("npm", args, { cwd, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8", env: { ...process.env, npm_config_update_notifier: "false" } });

function timed(timings, name, fn) {
  const t0 = performance.now();
  const result = fn();
  timings[name] = Math.round(performance.now() - t0);
  return result;
}

/**
 * Packs js/, installs the tarball into the fixture with npm (offline: the registry
 * packages are in npm's cache since `npm ci`), builds the app with Vite (client, SSR,
 * prerender). Returns `{ tarball, files, timings }` (`files`: the tarball's file list).
 */
export function packInstallBuild() {
  if (!existsSync(`${FIXTURE}node_modules/vite`)) {
    throw new Error(`the fixture's dependencies are missing: run \`npm ci\` in ${FIXTURE} (.ci/setup does)`);
  }
  const timings = {};
  rmSync(PACK_DIR, { recursive: true, force: true });
  mkdirSync(PACK_DIR, { recursive: true });
  // dist/ is the build scripts/build-wasm.sh made (prepack would rebuild it in place,
  // under the feet of suites serving it in parallel): pack it as it is, with the licences.
  for (const name of ["LICENSE-MIT", "LICENSE-APACHE"]) copyFileSync(`${repo}${name}`, `${repo}js/${name}`);
  const packed = timed(timings, "npm pack", () => JSON.parse(npm(["pack", "--json", "--ignore-scripts", "--pack-destination", PACK_DIR], `${repo}js`)))[0];
  const tarball = `${PACK_DIR}${packed.filename}`;
  timed(timings, "npm install (tarball, offline)", () => npm(["install", "--no-save", "--offline", "--no-audit", "--no-fund", tarball], FIXTURE));
  timed(timings, "vite build (client + SSR + prerender)", () => npm(["run", "build"], FIXTURE));
  return { tarball, files: packed.files.map((f) => f.path), timings };
}

const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css", ".wasm": "application/wasm", ".svg": "image/svg+xml" };

/** The lean engine through the host kit, for the server's own decisions (the edge's part). */
async function serverKit() {
  const glue = await import(new URL("pkg/perso.js", `file://${repo}`));
  const exports = glue.initSync({ module: new WebAssembly.Module(readFileSync(`${repo}pkg/perso_bg.wasm`)) });
  return createKit(glue, exports);
}

/** Index of the `>` ending the start tag of the element whose `data-perso-slot` is `placement`, and its end tag's index. */
function slotBounds(html, placement) {
  const open = new RegExp(`<(\\w+)([^>]*\\sdata-perso-slot="${placement}"[^>]*)>`).exec(html);
  if (!open) return null;
  const tag = open[1];
  const tags = new RegExp(`<(/?)${tag}\\b[^>]*>`, "g");
  tags.lastIndex = open.index + open[0].length;
  let depth = 1;
  for (let match; (match = tags.exec(html));) {
    depth += match[1] ? -1 : 1;
    if (depth === 0) return { startTagEnd: open.index + open[0].length - 1, innerStart: open.index + open[0].length, innerEnd: match.index };
  }
  return null;
}

/**
 * Serves the fixture's build: `/` and `/cart` (the prerendered pages), `/vanilla`,
 * `/assets/*`, the signed compiled bundle at /perso/bundle.bin(.sig); 404 otherwise.
 * `edge: true`: decides each page for its request (Referer, URL) with the engine and
 * fills the slots in the HTML with the edge worker's own markup
 * (edge/src/slot-markup.js), marking them `data-perso-rendered` and the root
 * `data-perso-edge`, as perso's edge worker does.
 */
export async function startFixtureServer({ edge = false, signingKey } = {}) {
  const bundleBytes = compileBundle(readFileSync(`${repo}www/bundle.json`));
  const signed = await signBundle(bundleBytes, { pkcs8Base64: signingKey });
  const kit = edge ? await serverKit() : null;
  const engine = kit?.loadBundle(bundleBytes);
  const dist = `${FIXTURE}dist/`;
  const requests = [];

  const page = (file, req) => {
    let html = readFileSync(`${dist}${file}`, "utf8").replaceAll("%PERSO_PUBLIC_KEY%", signed.publicKey);
    if (!engine) return html;
    const now = Date.now();
    const url = `http://${req.headers.host}${req.url}`;
    const facts = engine.pageContext({ url, referrer: req.headers.referer ?? "", declaredType: null, mobileHint: null, userAgent: req.headers["user-agent"] ?? null, coarsePointer: null, screenShortSide: null, language: "en-US" });
    const visitor = kit.freshVisitor("edge-visitor", now);
    engine.pageView(visitor, facts.pageView, now);
    const decision = engine.decide({ page: facts.page, device: facts.device, cart: { items: [], total: 0, count: 0 }, customer: { known: false }, consent: { personalization: true, gpc: false } }, visitor, now);
    visitor.free();
    for (const placed of decision.placements) {
      const bounds = slotBounds(html, placed.placement);
      const markup = bounds && renderPlacement(placed, { actionPath: "/.perso/", returnPath: req.url, nowMs: now, locale: "en-US", currency: "USD", safeUrl: (u) => kit.safeUrl(u) });
      if (!markup) continue;
      // x-test-edge-campaign: an edge that decided another campaign (older state, say).
      const campaign = req.headers["x-test-edge-campaign"] ?? placed.campaign;
      html = `${html.slice(0, bounds.startTagEnd)} data-perso-rendered="${campaign}">${markup}${html.slice(bounds.innerEnd)}`;
    }
    return html.replace("<html", `<html data-perso-edge="${decision.serial}"`);
  };

  const server = createServer((req, res) => {
    const { pathname } = new URL(req.url, "http://localhost");
    requests.push(pathname);
    const send = (status, type, body) => {
      res.writeHead(status, { "Content-Type": type, "Content-Security-Policy": CSP, "Cache-Control": "no-cache" });
      res.end(body);
    };
    if (pathname === "/perso/bundle.bin") return send(200, "application/octet-stream", bundleBytes);
    if (pathname === "/perso/bundle.bin.sig") return send(200, "application/json", signed.signatureFile);
    const pages = { "/": "index.html", "/cart": "cart/index.html", "/vanilla": "vanilla.html" };
    if (pages[pathname]) {
      // A fault in the fixture's own edge part answers 500 at once (a test fails, not hangs).
      let html;
      try {
        html = page(pages[pathname], req);
      } catch (error) {
        console.error("package-fixture: the page failed", error);
        return send(500, "text/plain", String(error));
      }
      return send(200, TYPES[".html"], html);
    }
    // The app's build, and the store's product images (the bundle's recommendations show them).
    const [root, file] = pathname.startsWith("/img/") ? [`${repo}www/`, join(`${repo}www/`, pathname)] : [dist, join(dist, pathname)];
    if ((pathname.startsWith("/assets/") || pathname.startsWith("/img/")) && file.startsWith(root) && existsSync(file) && statSync(file).isFile()) {
      return send(200, TYPES[extname(file)] ?? "application/octet-stream", readFileSync(file));
    }
    return send(404, "text/plain", "not found");
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    publicKey: signed.publicKey,
    requests,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** The built app's files under dist/assets, with their sizes. */
export function builtAssets() {
  const dir = `${FIXTURE}dist/assets/`;
  return readdirSync(dir).map((name) => ({ name, bytes: statSync(`${dir}${name}`).size }));
}

/** `require.resolve` from inside the fixture (how a store's tools find perso's files). */
export const fixtureRequire = createRequire(`${FIXTURE}package.json`);
