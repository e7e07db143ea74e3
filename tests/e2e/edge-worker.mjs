// perso's production edge worker (edge/src/edge-entry.js) in real workerd (Miniflare)
// in front of a running demo store, with the compiled bundle and signature the store
// publishes: shared by the cross-host e2e tests.
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const { Miniflare } = await import(new URL("edge/node_modules/miniflare/dist/src/index.js", `file://${repo}`));

/** Starts the worker with `demo` (startServer's result) as origin; `bindings` add or override. */
export async function startEdgeWorker(demo, bindings = {}) {
  const bundle = Buffer.from(await (await fetch(`${demo.url}/perso/bundle.bin`)).arrayBuffer());
  const signature = await (await fetch(`${demo.url}/perso/bundle.bin.sig`)).text();
  const mf = new Miniflare({
    modules: true,
    modulesRoot: repo,
    scriptPath: `${repo}edge/src/edge-entry.js`,
    modulesRules: [
      { type: "ESModule", include: ["**/*.js"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    compatibilityDate: "2025-09-01",
    host: "127.0.0.1",
    bindings: {
      PERSO_ORIGIN: demo.url,
      PERSO_BUNDLE: bundle.toString("base64"),
      PERSO_BUNDLE_SIG: signature,
      PERSO_PUBLIC_KEYS: demo.publicKey,
      PERSO_STATE_KEY: "e2e-state-key-0123456789abcdef0123",
      PERSO_CUSTOMER_KEY: "e2e-customer-key-0123456789abcdef01",
      ...bindings,
    },
  });
  const url = String(await mf.ready).replace(/\/$/, "");
  return { mf, url, dispose: () => mf.dispose() };
}
