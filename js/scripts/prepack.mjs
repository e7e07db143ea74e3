// `npm pack` / `npm publish` of the runtime: builds dist/ fresh (the minified runtime,
// the wasm beside it, the integrations; needs ../pkg and ../pkg-full from
// scripts/build-wasm.sh) and copies the repository's licence files into the package.
import { copyFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
execFileSync(process.execPath, [here("./build.mjs")], { stdio: ["ignore", "ignore", "inherit"] });
for (const name of ["LICENSE-MIT", "LICENSE-APACHE"]) copyFileSync(here(`../../${name}`), here(`../${name}`));
