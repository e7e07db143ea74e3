// Serves the Gizmos demo storefront with the perso browser runtime, the way a store would:
//   /                      the shop (www/; clean URLs: /category/<id>, /product/<sku>, /cart, /login)
//   /perso/perso.js ...    the runtime as it ships (js/dist/: node js/scripts/build.mjs)
//   /perso/bundle.bin      the compiled bundle (www/bundle.json compiled at start-up by the
//                          one compiler, the full wasm build) and /perso/bundle.bin.sig
//   /perso/preview/...     preview drafts (`perso publish --preview --out-dir DIR`), from
//                          DIR/preview/ when PERSO_PREVIEW_DIR=DIR/preview (or `previewDir`)
//   /playground/           the engine playground (playground/): a context in, the decision and why
//   POST /login, /logout   the demo's sign-in (js/demo/accounts.mjs): a server-side session;
//                          pages of a signed-in customer carry their profile, rendered here
//   /api/, /checkout, /order/<id>   the store side: the claim endpoint, checkout and its
//                          redemption ledger (js/demo/checkout.mjs, a SQLite file under --data-dir)
// Every response carries a strict Content-Security-Policy: no inline scripts, no eval,
// only 'wasm-unsafe-eval' so WebAssembly can compile.
//
// Signing: private keys never live in the repository. At start-up the server signs the
// bundle with PERSO_SIGNING_KEY (base64 PKCS#8 Ed25519) if given, else with an ephemeral
// key pair made with WebCrypto; the public key is templated into the pages' script tag
// (the `%PERSO_PUBLIC_KEY%` placeholder in www/*.html). The pages' `data-preview-keys`
// (`%PERSO_PREVIEW_KEYS%`) lists PERSO_PREVIEW_KEYS ("preview-kid:BASE64 ...", what
// `perso keygen --kid preview-...` prints), else an ephemeral preview key made at
// start-up, whose private half tests can sign drafts with (`previewKey.sign`).
//
// Usage: node js/serve.mjs [--port 8080] [--host 127.0.0.1] [--data-dir DIR]
//   (the ledger and the claim/link keys live in DIR, default $PERSO_DEMO_DATA or
//   ~/.local/state/perso-demo, created on start; a restart keeps them)
import { createServer } from "node:http";
import { readFileSync, existsSync, mkdtempSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { createHash, webcrypto } from "node:crypto";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import sirv from "sirv";
import compression from "compression";
import { createAccounts, customerElement } from "./demo/accounts.mjs";
import { createStore } from "./demo/checkout.mjs";

const repoRoot = fileURLToPath(new URL("../", import.meta.url));
const paths = {
  www: `${repoRoot}www`,
  runtime: `${repoRoot}js/dist`,
  pkgNode: `${repoRoot}pkg-node/perso.js`,
  playground: `${repoRoot}playground`,
  kit: `${repoRoot}js/src/kit`,
  pkgFull: `${repoRoot}pkg-full`,
  bundle: `${repoRoot}www/bundle.json`,
  accounts: `${repoRoot}data/demo-accounts.json`,
  customers: `${repoRoot}data/customers.jsonl`,
};

const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  // blob: for the images perso fetches without cookies or Referer (docs/browser-runtime.md)
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** Shop pages behind clean URLs: the path prefix and the HTML file that renders it. */
const PAGE_ROUTES = [
  [/^\/$/, "index.html"],
  [/^\/category\/[\w-]+$/, "category.html"],
  [/^\/product\/[\w-]+$/, "product.html"],
  [/^\/cart$/, "cart.html"],
  [/^\/login$/, "login.html"],
  [/^\/affiliate\/gadgets$/, "affiliate.html"],
  [/^\/checkout$/, "checkout.html"],
  [/^\/order\/[A-Za-z0-9-]+$/, "order.html"],
];

const base64 = (bytes) => Buffer.from(bytes).toString("base64");

/**
 * Signs `bundleBytes` with the given PKCS#8 key or a fresh ephemeral one.
 * Returns the public key (raw, base64), the key id and the detached signature file's text.
 */
export async function signBundle(bundleBytes, { pkcs8Base64, kid = "demo" } = {}) {
  const { subtle } = webcrypto;
  let privateKey;
  let publicKeyRaw;
  if (pkcs8Base64) {
    privateKey = await subtle.importKey("pkcs8", Buffer.from(pkcs8Base64, "base64"), "Ed25519", true, ["sign"]);
    // The public half of a PKCS#8 key is recovered through its JWK form (x is the raw key).
    const jwk = await subtle.exportKey("jwk", privateKey);
    publicKeyRaw = Buffer.from(jwk.x, "base64url");
  } else {
    const pair = await subtle.generateKey("Ed25519", true, ["sign", "verify"]);
    privateKey = pair.privateKey;
    publicKeyRaw = new Uint8Array(await subtle.exportKey("raw", pair.publicKey));
  }
  const signature = new Uint8Array(await subtle.sign("Ed25519", privateKey, bundleBytes));
  const signatureFile = JSON.stringify({ alg: "Ed25519", kid, sig: base64(signature) });
  return { publicKey: base64(publicKeyRaw), kid, signatureFile };
}

/**
 * A preview key pair made at start-up (kid `preview-demo`): its public half goes into
 * the pages' data-preview-keys, its private half never leaves this process.
 * `sign(bytes)` → the detached signature file of a draft.
 */
async function ephemeralPreviewKey(kid = "preview-demo") {
  const { subtle } = webcrypto;
  const pair = await subtle.generateKey("Ed25519", true, ["sign", "verify"]);
  const publicKey = base64(new Uint8Array(await subtle.exportKey("raw", pair.publicKey)));
  const sign = async (bytes) =>
    JSON.stringify({ alg: "Ed25519", kid, sig: base64(new Uint8Array(await subtle.sign("Ed25519", pair.privateKey, bytes))) });
  return { kid, publicKey, sign };
}

/** The compiled form of a JSON bundle, by the one compiler (the full wasm build). */
export function compileBundle(jsonBytes) {
  const tools = createRequire(import.meta.url)(paths.pkgNode);
  const bytes = tools.compileBundle(jsonBytes, undefined);
  if (!bytes) {
    const error = JSON.parse(tools.lastErrorMessage());
    throw new Error(`${error.message}`);
  }
  return Buffer.from(bytes);
}

function argValue(argv, name, fallback) {
  const at = argv.indexOf(name);
  return at >= 0 && argv[at + 1] !== undefined ? argv[at + 1] : fallback;
}

function etagOf(bytes) {
  return `"${createHash("sha256").update(bytes).digest("base64url").slice(0, 27)}"`;
}

/**
 * Starts the server. `port: 0` picks a free port (tests).
 * Options: `bundlePath` (default www/bundle.json: a JSON bundle, compiled here, or a
 * compiled .bin), `bundleBytes` (a compiled bundle given directly), `signingKey`
 * (base64 PKCS#8; default $PERSO_SIGNING_KEY or an ephemeral key), `sign: false` to
 * serve no signature at all, `previewKeys` (the pages' data-preview-keys; default
 * $PERSO_PREVIEW_KEYS or an ephemeral `preview-demo` key), `previewDir` (a folder served
 * at /perso/preview/; default $PERSO_PREVIEW_DIR); the store side (js/demo/checkout.mjs):
 * `dataDir` (default: a fresh temporary folder), `edgeKeys` (voucher keys it trusts),
 * `now` (its clock).
 * Resolves to `{ server, url, publicKey, kid, store, previewKeys, previewKey, close() }`
 * (`previewKey`: the ephemeral preview key, `{ kid, publicKey, sign(bytes) }`, or null).
 */
export async function startServer({
  port = 0,
  host = "127.0.0.1",
  bundlePath = paths.bundle,
  bundleBytes: givenBytes,
  signingKey = process.env.PERSO_SIGNING_KEY,
  kid = process.env.PERSO_KEY_ID || "demo",
  sign = true,
  previewKeys = process.env.PERSO_PREVIEW_KEYS,
  previewDir = process.env.PERSO_PREVIEW_DIR,
  dataDir = mkdtempSync(join(tmpdir(), "perso-demo-")),
  edgeKeys = process.env.PERSO_EDGE_KEYS ?? "",
  now,
} = {}) {
  const source = givenBytes ?? readFileSync(bundlePath);
  const bundleBytes = givenBytes || bundlePath.endsWith(".bin") ? Buffer.from(source) : compileBundle(source);
  const bundleEtag = etagOf(bundleBytes);
  const signed = sign ? await signBundle(bundleBytes, { pkcs8Base64: signingKey, kid }) : null;
  const publicKey = signed ? signed.publicKey : "";
  const previewKey = previewKeys ? null : await ephemeralPreviewKey();
  const previewKeysText = previewKeys ?? `${previewKey.kid}:${previewKey.publicKey}`;
  const servePreview = previewDir ? sirv(previewDir, { dev: true, etag: true }) : null;
  const accounts = createAccounts({ accountsPath: paths.accounts, customersPath: paths.customers });
  const store = await createStore({ dataDir, accounts, bundleBin: bundleBytes, bundleJson: bundlePath.endsWith(".json") && !givenBytes ? source : undefined, edgeKeys, now });
  const affiliateLink = store.affiliateLink("gadgets.com", "/?utm_source=gadgets.com&utm_medium=affiliate&utm_campaign=review");

  const serveRuntime = sirv(paths.runtime, { dev: true, etag: true });
  const serveWww = sirv(paths.www, { dev: true, etag: true, extensions: [] });
  const servePlayground = sirv(paths.playground, { dev: true, etag: true });
  // The playground is a tool: it uses the host kit and the engine's full build as files.
  const serveKit = sirv(paths.kit, { dev: true, etag: true });
  const serveFull = sirv(paths.pkgFull, { dev: true, etag: true });

  const notFound = (res) => {
    res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" });
    res.end("not found");
  };

  const sendPage = (req, res, file) => {
    let html = readFileSync(`${paths.www}/${file}`, "utf8")
      .replaceAll("%PERSO_PUBLIC_KEY%", publicKey)
      .replaceAll("%PERSO_PREVIEW_KEYS%", previewKeysText)
      .replaceAll("%PERSO_AFFILIATE_LINK%", affiliateLink.replaceAll("&", "&amp;"));
    const customer = accounts.customerFor(req);
    if (customer) {
      // The signed-in customer's profile, rendered by the server (as a store's templates would).
      html = html.replace("</head>", `${customerElement(customer)}\n</head>`);
      html = html.replace(
        '<span data-account><a href="/login">Sign in</a></span>',
        `<span data-account><form class="signout" method="post" action="/logout"><button type="submit">Sign out, ${escapeHtml(customer.first_name ?? "")}</button></form></span>`,
      );
    }
    // A signed-in page is personal: never cached by a shared cache.
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": customer ? "private, no-cache" : "no-cache" });
    res.end(html);
  };

  const sendVersioned = (req, res, bytes, etag, contentType) => {
    const headers = { "Content-Type": contentType, "Cache-Control": "no-cache", ETag: etag };
    if (req.headers["if-none-match"] === etag) {
      res.writeHead(304, headers);
      return res.end();
    }
    res.writeHead(200, headers);
    res.end(req.method === "HEAD" ? undefined : bytes);
  };

  const withPrefixStripped = (req, prefix, handler, res) => {
    const url = new URL(req.url, "http://localhost");
    req.url = url.pathname.slice(prefix.length - 1) + url.search;
    handler(req, res, () => notFound(res));
  };

  // Compressed like any store's server or CDN would send it (gzip, as the size
  // budgets count): the wasm, the runtime, the bundle, styles and images. Pages (about
  // 1 KB) go as they are, so tests can rewrite them.
  const compress = compression({
    threshold: 512,
    filter: (req, res) => !String(res.getHeader("Content-Type") ?? "").startsWith("text/html"),
  });
  const server = createServer((req, res) => compress(req, res, () => handle(req, res)));
  const handle = async (req, res) => {
    res.setHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY);
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("Referrer-Policy", "strict-origin-when-cross-origin");
    const { pathname } = new URL(req.url, "http://localhost");
    try {
      if (await accounts.handle(req, res, pathname)) return;
    } catch {
      if (!res.headersSent) res.writeHead(400);
      return res.end();
    }
    if (pathname.startsWith("/api/")) {
      return store.handle(req, res, pathname).catch((error) => {
        console.error("serve: /api failed", error);
        if (!res.headersSent) res.writeHead(500, { "Content-Type": "application/json" });
        res.end('{"error":"internal"}');
      });
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { Allow: "GET, HEAD" });
      return res.end();
    }
    if (pathname === "/perso/bundle.bin") {
      return sendVersioned(req, res, bundleBytes, bundleEtag, "application/octet-stream");
    }
    if (pathname === "/perso/bundle.bin.sig") {
      if (!signed) return notFound(res);
      return sendVersioned(req, res, signed.signatureFile, etagOf(signed.signatureFile), "application/json");
    }
    if (servePreview && pathname.startsWith("/perso/preview/")) return withPrefixStripped(req, "/perso/preview/", servePreview, res);
    if (pathname.startsWith("/playground/kit/")) return withPrefixStripped(req, "/playground/kit/", serveKit, res);
    if (pathname.startsWith("/playground/engine/")) return withPrefixStripped(req, "/playground/engine/", serveFull, res);
    if (pathname.startsWith("/playground/")) return withPrefixStripped(req, "/playground/", servePlayground, res);
    if (pathname.startsWith("/perso/")) return withPrefixStripped(req, "/perso/", serveRuntime, res);
    const page = PAGE_ROUTES.find(([pattern]) => pattern.test(pathname));
    if (page) return sendPage(req, res, page[1]);
    if (pathname.endsWith(".html")) return notFound(res); // pages only behind their clean URLs
    return serveWww(req, res, () => notFound(res));
  };

  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const url = `http://${host}:${server.address().port}`;
  return {
    server,
    url,
    publicKey,
    kid,
    previewKeys: previewKeysText,
    previewKey,
    store,
    dataDir,
    close: () => new Promise((resolve) => {
      server.closeAllConnections?.();
      server.close(() => {
        store.close();
        resolve();
      });
    }),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const argv = process.argv.slice(2);
  const port = Number(argValue(argv, "--port", "8080"));
  const host = argValue(argv, "--host", "127.0.0.1");
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`serve: --port must be a number from 0 to 65535, got "${argValue(argv, "--port", "")}"`);
    process.exit(2);
  }
  if (!existsSync(`${paths.runtime}/perso.js`) || !existsSync(paths.pkgNode)) {
    console.error("serve: js/dist/perso.js or pkg-node/ is missing; build first: bash scripts/build-wasm.sh && node js/scripts/build.mjs");
    process.exit(1);
  }
  const dataDir = argValue(argv, "--data-dir", process.env.PERSO_DEMO_DATA || join(homedir(), ".local", "state", "perso-demo"));
  const { url, publicKey, kid, store } = await startServer({ port, host, dataDir });
  console.log(`perso demo storefront: ${url}/`);
  console.log(`bundle signed with key "${kid}" (${process.env.PERSO_SIGNING_KEY ? "PERSO_SIGNING_KEY" : "ephemeral"}), public key ${publicKey}`);
  console.log(`preview keys (data-preview-keys): ${process.env.PERSO_PREVIEW_KEYS ? "PERSO_PREVIEW_KEYS" : "ephemeral"}${process.env.PERSO_PREVIEW_DIR ? `; drafts served from ${process.env.PERSO_PREVIEW_DIR} at /perso/preview/` : ""}`);
  console.log(`store data (ledger, claim and link keys): ${dataDir}; claim key ${store.claimKey.kid}:${store.claimKey.publicBase64}`);
}
