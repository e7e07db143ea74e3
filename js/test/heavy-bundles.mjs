// Valid bundles that cost as much as the engine allows (issue 9, bounded work): the demo
// bundle with `count` campaigns put first on the hero, each a `some` nested in a `some`
// over literal lists of `size` numbers that never matches, so every one is evaluated in
// full. At size 150 one costs ~90,000 units (under the 100,000 per-condition limit, so it
// loads); 11 of them spend a decision's 1,000,000. Shared by heavy-bundle.test.mjs and
// js/bench/heavy-bundle.mjs.
import { readFileSync } from "node:fs";
import { compileBundle } from "../serve.mjs";

const DEMO = new URL("../../www/bundle.json", import.meta.url);

/** The bundle as JSON (an object). */
export function heavyBundleJson(count, size = 150) {
  const bundle = JSON.parse(readFileSync(DEMO, "utf8"));
  const list = Array.from({ length: size }, (_, i) => i);
  const heavy = Array.from({ length: count }, (_, i) => ({
    id: `heavy-${i}`,
    placement: "hero",
    priority: 1000 - i,
    condition: { some: [list, { some: [list, { "==": [{ var: "" }, -1] }] }] },
    action: { kind: "banner", title: `Never shown ${i}` },
  }));
  bundle.campaigns.unshift(...heavy);
  return bundle;
}

/** The bundle compiled by the one compiler (what the demo serves as bundle.bin). */
export const heavyBundle = (count, size = 150) => compileBundle(Buffer.from(JSON.stringify(heavyBundleJson(count, size))));
