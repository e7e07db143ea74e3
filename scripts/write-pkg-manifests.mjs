// Writes package.json for pkg/ (ES module, browsers and workers) and pkg-node/
// (CommonJS, Node): wasm-pack's --no-pack leaves that to us so the two stay alike.
import { writeFileSync, readFileSync } from "node:fs";

const root = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
const common = {
  name: "perso-engine",
  version: root.version,
  description: "perso's decision engine (WebAssembly)",
  license: "MIT OR Apache-2.0",
  types: "perso.d.ts",
};
writeFileSync(new URL("../pkg/package.json", import.meta.url), JSON.stringify({
  ...common, type: "module", main: "perso.js", module: "perso.js",
  files: ["perso_bg.wasm", "perso.js", "perso.d.ts", "perso_bg.wasm.d.ts"], sideEffects: false,
}, null, 2) + "\n");
writeFileSync(new URL("../pkg-node/package.json", import.meta.url), JSON.stringify({
  ...common, main: "perso.js", files: ["perso_bg.wasm", "perso.js", "perso.d.ts"],
}, null, 2) + "\n");
