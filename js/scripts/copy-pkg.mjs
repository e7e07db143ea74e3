// `npm pack` / `npm publish` of the runtime: ships the web build of the engine (../pkg,
// built by scripts/build-wasm.sh) inside the package as src/pkg/, where the runtime looks
// for it by default (`new URL("./pkg/perso.js", import.meta.url)` in src/perso.js). The
// demo server maps /perso/pkg/ to the repository's pkg/ for the same layout.
import { cpSync, existsSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";

const from = fileURLToPath(new URL("../../pkg/", import.meta.url));
const to = fileURLToPath(new URL("../src/pkg/", import.meta.url));
if (!existsSync(`${from}perso_bg.wasm`)) {
  console.error("copy-pkg: ../pkg/perso_bg.wasm is missing; run scripts/build-wasm.sh first");
  process.exit(1);
}
rmSync(to, { recursive: true, force: true });
cpSync(from, to, { recursive: true, filter: (path) => !path.endsWith(".gitignore") });
console.log(`copy-pkg: ${from} -> ${to}`);
