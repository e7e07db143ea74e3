// The lean build's 128 KB stack (build.rs) against the deepest bundle the compiler
// accepts: eight segments each referencing the next (MAX_SEGMENT_NESTING), every
// condition nested to the depth limit. The stack region (addresses 0..128 KB; the
// stack comes first, so an overflow traps rather than overwrites data) is painted
// before the decision and the lowest byte it changed is the high-water mark.
import assert from "node:assert/strict";
import { test } from "node:test";
import { compile, exports, kit } from "./support.mjs";

const STACK = 128 * 1024;

/** A condition `depth` levels deep around `leaf` (alternating `and` and `!!`). */
function deep(leaf, depth) {
  let node = leaf;
  for (let d = 1; d < depth; d++) node = d % 2 ? { and: [node, true] } : { "!!": [node] };
  return node;
}

function deepBundle(depth) {
  const nesting = 8;
  const segments = [];
  for (let s = 0; s < nesting; s++) {
    const inner = s + 1 < nesting ? { segment: `s${s + 1}` } : { "==": [{ var: "page.type" }, "home"] };
    segments.push({ id: `s${s}`, condition: deep(inner, depth) });
  }
  return {
    version: 1,
    serial: 1,
    issued_at: "2026-11-25T00:00:00Z",
    expires_at: "2028-01-01T00:00:00Z",
    store: "Deep",
    placements: [{ id: "hero" }],
    segments,
    campaigns: [
      {
        id: "deep",
        placement: "hero",
        priority: 1,
        condition: deep({ segment: "s0" }, depth),
        action: { kind: "banner", title: "Deep" },
      },
    ],
  };
}

/**
 * The deepest nesting both the compiler and the engine's loader accept. (They
 * disagree at the limit: the compiler accepts 32 levels, the loader's arena check
 * refuses some of those; see bench/results/lean.md.)
 */
function deepestBundle() {
  let best = null;
  for (let depth = 8; depth <= 64; depth++) {
    try {
      const bytes = compile(JSON.stringify(deepBundle(depth)));
      kit.loadBundle(bytes).free();
      best = { bytes, depth };
    } catch (error) {
      if (process.env.PERSO_STACK_DEBUG) console.log(depth, error.message);
      break;
    }
  }
  assert.ok(best, "a nested bundle compiles and loads");
  return best;
}

test("the deepest bundle decides well within the lean build's 128 KB stack", () => {
  const { bytes, depth } = deepestBundle();
  const engine = kit.loadBundle(bytes);
  const visitor = kit.freshVisitor("stack", 1_800_000_000_000);
  const memory = new Uint8Array(exports.memory.buffer);
  assert.ok(memory.length > STACK);
  // No wasm frame is live between calls: the whole stack region is free to paint.
  memory.fill(0xa5, 0, STACK);
  const decision = engine.decide({ page: { type: "home" } }, visitor, 1_800_000_000_000);
  assert.equal(decision.placements[0]?.campaign, "deep");
  const painted = new Uint8Array(exports.memory.buffer, 0, STACK);
  const lowest = painted.findIndex((b) => b !== 0xa5);
  const used = STACK - lowest;
  console.log(`stack high-water mark of the deepest bundle (8 segments x ${depth} levels): ${used} B of ${STACK} B`);
  assert.ok(used < STACK / 4, `stack used ${used} B: keep a 4x margin under the 128 KB stack`);
  visitor.free();
  engine.free();
});
