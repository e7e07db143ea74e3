// Differential test: perso's compiled evaluator against json-logic-js (the reference
// implementation that defines JsonLogic) on thousands of random rules over random
// data. Seeded, so a failure reproduces; the seed and the rule are printed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const jsonLogic = require("json-logic-js");
const perso = require(new URL("../../pkg-node/perso.js", import.meta.url).pathname);

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = ["a", "b", "c", "n", "s", "list", "items"];
const OPS = ["==", "===", "!=", "!==", ">", ">=", "<", "<=", "!", "!!", "and", "or", "if", "in", "cat",
  "+", "-", "*", "/", "%", "min", "max", "var", "missing", "some", "all", "none", "filter", "map", "merge", "substr"];

function generator(random) {
  const pick = (xs) => xs[Math.floor(random() * xs.length)];
  const literal = () => pick([0, 1, -2, 3.5, "", "a", "abc", "10", "2", true, false, null, [], [1, "a"]]);
  function rule(depth) {
    if (depth > 3 || random() < 0.3) return random() < 0.5 ? literal() : { var: pick(KEYS) };
    const op = pick(OPS);
    const arg = () => rule(depth + 1);
    switch (op) {
      case "var": return { var: [pick(KEYS), literal()] };
      case "missing": return { missing: [pick(KEYS), pick(KEYS)] };
      case "!": case "!!": return { [op]: [arg()] };
      case "some": case "all": case "none": case "filter": case "map":
        return { [op]: [{ var: pick(["list", "items"]) }, { [pick([">", "==", "<"])]: [{ var: pick(["", "x"]) }, literal()] }] };
      case "substr": return { substr: [arg(), pick([0, 1, -2]), pick([undefined, 2, -1])].filter((x) => x !== undefined) };
      case "if": return { if: [arg(), arg(), arg()] };
      case "-": case "/": case "%": case "in": return { [op]: [arg(), arg()] };
      default: return { [op]: Array.from({ length: 1 + Math.floor(random() * 3) }, arg) };
    }
  }
  const data = () => ({
    a: literal(), b: literal(), c: literal(), n: Math.floor(random() * 20) - 5, s: pick(["", "x", "hello", "7"]),
    list: Array.from({ length: Math.floor(random() * 4) }, () => Math.floor(random() * 6)),
    items: Array.from({ length: Math.floor(random() * 3) }, () => ({ x: Math.floor(random() * 6) })),
  });
  return { rule, data };
}

test("applyRule agrees with json-logic-js on 5,000 random rules", () => {
  const seed = Number(process.env.PERSO_DIFF_SEED ?? 20261125);
  const random = rng(seed);
  const { rule, data } = generator(random);
  let compared = 0;
  for (let i = 0; i < 5000; i++) {
    const r = rule(0);
    const d = data();
    let expected;
    try {
      // The reference can throw (e.g. calling .indexOf on a number): not comparable.
      expected = JSON.parse(JSON.stringify(jsonLogic.apply(r, d)) ?? "null");
    } catch {
      continue;
    }
    const actual = perso.applyRule(r, d);
    const same = Number.isNaN(expected) ? Number.isNaN(actual) : JSON.stringify(actual) === JSON.stringify(expected);
    assert.ok(same, `seed ${seed}, case ${i}: ${JSON.stringify(r)} on ${JSON.stringify(d)}: perso ${JSON.stringify(actual)}, json-logic-js ${JSON.stringify(expected)}`);
    compared++;
  }
  assert.ok(compared > 4000, `only ${compared} comparable cases`);
});
