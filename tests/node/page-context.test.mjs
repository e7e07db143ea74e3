// The context's `page` from page facts, through the Node kit (the engine's one page rule,
// perso_core::page): tests/vectors/page-context.json, replayed here, in workerd
// (edge/test/scenarios.test.js) and in Chromium (js/test/page-context.test.mjs).
import { test } from "node:test";
import assert from "node:assert/strict";
import { kit, gizmos, read } from "./support.mjs";

const vectors = JSON.parse(read("tests/vectors/page-context.json"));
const ORIGIN = "https://shop.example";
const at = (value) => JSON.parse(JSON.stringify(value).replaceAll("{origin}", ORIGIN));

test("every page-context vector: the kit's pageContext gives the page exactly", () => {
  const engine = kit.loadBundle(gizmos());
  assert.ok(vectors.cases.length >= 15);
  for (const vector of vectors.cases) {
    const { page } = engine.pageContext({
      url: `${ORIGIN}${vector.path}`,
      referrer: vector.referrer === null ? "" : at(vector.referrer),
      declaredType: null,
      mobileHint: null,
      userAgent: vectors.user_agent,
      coarsePointer: null,
      screenShortSide: null,
      language: "en-GB",
    });
    assert.deepEqual(page, at(vector.page), vector.name);
  }
  engine.free?.();
});
