// The published TypeScript types compile against a store's typical use (tsc --strict).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, cpSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";

test("types/perso.d.ts compiles with a strict consumer", () => {
  const js = fileURLToPath(new URL("../", import.meta.url));
  // The types import the engine's types from src/pkg/ (where `npm pack` puts the wasm package).
  const copied = !existsSync(`${js}src/pkg/perso.d.ts`);
  if (copied) cpSync(`${js}../pkg/`, `${js}src/pkg/`, { recursive: true });
  try {
    execFileSync(process.execPath, [`${js}node_modules/typescript/bin/tsc`, "-p", `${js}test/types/tsconfig.json`], { stdio: "pipe" });
  } catch (error) {
    assert.fail(`tsc: ${error.stdout}${error.stderr}`);
  } finally {
    if (copied) rmSync(`${js}src/pkg/`, { recursive: true, force: true });
  }
});
