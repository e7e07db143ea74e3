// Serves the engine playground (playground/), the wasm package (pkg/) and the default
// bundle (www/bundle.json at /perso/bundle.json) on 127.0.0.1, with a strict
// Content-Security-Policy: no inline scripts, no eval, only 'wasm-unsafe-eval'.
// Usage: node scripts/serve.mjs [--port 8080]
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import sirv from "sirv";

const root = new URL("../", import.meta.url).pathname;
const port = Number(process.argv[process.argv.indexOf("--port") + 1] || 8080) || 8080;
const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

const statics = [
  ["/pkg/", sirv(`${root}pkg`, { dev: true })],
  ["/playground/", sirv(`${root}playground`, { dev: true })],
];

export function start(listenPort = port) {
  const server = createServer((req, res) => {
    res.setHeader("Content-Security-Policy", CSP);
    res.setHeader("X-Content-Type-Options", "nosniff");
    const url = new URL(req.url, "http://localhost");
    if (url.pathname === "/") {
      res.writeHead(302, { Location: "/playground/" });
      return res.end();
    }
    if (url.pathname === "/perso/bundle.json") {
      res.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "no-cache" });
      return res.end(readFileSync(`${root}www/bundle.json`));
    }
    for (const [prefix, handler] of statics) {
      if (url.pathname.startsWith(prefix)) {
        req.url = url.pathname.slice(prefix.length - 1) + url.search;
        return handler(req, res, () => { res.writeHead(404); res.end("not found"); });
      }
    }
    res.writeHead(404);
    res.end("not found");
  });
  return new Promise((resolve) => server.listen(listenPort, "127.0.0.1", () => resolve(server)));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const server = await start();
  console.log(`perso playground: http://127.0.0.1:${server.address().port}/playground/`);
}
