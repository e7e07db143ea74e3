// Builds the browser runtime as it ships: one minified ES module (dist/perso.js) with
// the engine's glue and the host kit inside, the debug overlay as a chunk loaded on
// demand, the engine's wasm beside it (perso_bg.wasm, referenced statically with
// `new URL(..., import.meta.url)` so bundlers see and emit it) and the full build's
// wasm for the debug overlay (perso-full.wasm). Prints the sizes (raw, gzip -9).
// Needs ../pkg and ../pkg-full (scripts/build-wasm.sh).
import { build } from "esbuild";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const dist = here("../dist/");
for (const needed of ["../../pkg/perso_bg.wasm", "../../pkg-full/perso_bg.wasm"]) {
  if (!existsSync(here(needed))) {
    console.error(`build: ${needed} is missing; run scripts/build-wasm.sh first`);
    process.exit(1);
  }
}
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
await build({
  entryPoints: [here("../src/perso.js")],
  bundle: true,
  format: "esm",
  splitting: true,
  minify: true,
  target: "es2022",
  outdir: dist,
  chunkNames: "chunk-[hash]",
  legalComments: "none",
  logLevel: "warning",
});
copyFileSync(here("../../pkg/perso_bg.wasm"), `${dist}perso_bg.wasm`);
copyFileSync(here("../../pkg-full/perso_bg.wasm"), `${dist}perso-full.wasm`);
copyFileSync(here("../src/perso-slots.css"), `${dist}perso-slots.css`);

const gz = (file) => gzipSync(readFileSync(file), { level: 9 }).length;
const first = ["perso.js", "perso_bg.wasm"];
let firstTotal = 0;
for (const name of readdirSync(dist).sort()) {
  const file = `${dist}${name}`;
  const size = gz(file);
  if (first.includes(name)) firstTotal += size;
  console.log(`runtime size: ${name} ${statSync(file).size} B raw, ${size} B gzip -9`);
}
console.log(`runtime size: what the script tag loads for a first decision (perso.js + perso_bg.wasm) ${firstTotal} B gzip -9 (budget 61440)`);
