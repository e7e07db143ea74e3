// The published TypeScript types compile against a store's typical use (tsc --strict):
// the runtime, the React bindings, the OpenFeature provider, the Shopify adapter and
// the consent decoder, each through its package subpath.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

test("types/*.d.ts compile with a strict consumer", () => {
  const js = fileURLToPath(new URL("../", import.meta.url));
  try {
    execFileSync(process.execPath, [`${js}node_modules/typescript/bin/tsc`, "-p", `${js}test/types/tsconfig.json`], { stdio: "pipe" });
  } catch (error) {
    assert.fail(`tsc: ${error.stdout}${error.stderr}`);
  }
});
