// Source-level guarantees that complement the browser tests: no dynamic code, no HTML
// sinks, and every localStorage key the runtime names is a documented one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { STORAGE_KEYS, LEGACY_KEYS } from "../src/storage.js";

const read = (dir) => readdirSync(dir).filter((f) => f.endsWith(".js")).map((f) => [f, readFileSync(new URL(f, dir), "utf8")]);
const sources = [...read(new URL("../src/", import.meta.url)), ...read(new URL("../src/kit/", import.meta.url))];

test("no eval, new Function, string timers or HTML sinks in the runtime", () => {
  const forbidden = [/\beval\s*\(/, /new\s+Function\s*\(/, /\.innerHTML\b/, /\.outerHTML\b/, /insertAdjacentHTML/, /document\.write/, /setTimeout\(\s*["'`]/, /createContextualFragment/];
  for (const [file, text] of sources) {
    for (const pattern of forbidden) assert.doesNotMatch(text, pattern, `${file} uses ${pattern}`);
  }
});

test("the runtime writes only the documented localStorage keys", () => {
  const documented = readFileSync(new URL("../../docs/browser-runtime.md", import.meta.url), "utf8");
  for (const key of [...Object.values(STORAGE_KEYS), ...LEGACY_KEYS]) assert.ok(documented.includes(`\`${key}\``), `${key} is documented`);
  for (const [file, text] of sources) {
    for (const match of text.matchAll(/["'`](perso:v\d+:[\w-]+)["'`]/g)) {
      const declared = Object.values(STORAGE_KEYS).includes(match[1]) || LEGACY_KEYS.includes(match[1]);
      assert.ok(declared, `${file} names an undeclared key ${match[1]}`);
    }
    assert.doesNotMatch(text, /document\.cookie/, `${file} touches cookies`);
  }
});
