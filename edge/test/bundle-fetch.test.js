// The bundle host cannot hold pages hostage (issue 9): a host that never answers, an
// endless bundle body, a refresh after the TTL with a good bundle in memory, the
// minimum serial from the worker's config, and the one bundle size limit. Waits are
// on events (the host's requests, /__test/bundle-settled), never on elapsed time; the
// only time limits are the worker's own, configured short here.

import { test } from "node:test";
import assert from "node:assert/strict";
import { startEdge, generateSigner, T0, BUNDLE_TEXT, compileBundle, renderedCampaign } from "./harness.js";
import { startBundleHost } from "./fixtures/bundle-host.js";
import { GADGETS_REFERER } from "./helpers.js";

const SERIAL_2 = compileBundle(BUNDLE_TEXT.replace('"serial": 1', '"serial": 2'));
const SERIAL_3 = compileBundle(BUNDLE_TEXT.replace('"serial": 1', '"serial": 3'));

/** A worker fetching its bundle from a fresh bundle host serving `bytes` (compiled), signed. */
async function edgeWithHost(bytes, bindings = {}) {
  const signer = await generateSigner("host-1");
  const host = await startBundleHost({ bundle: bytes, signature: await signer.sign(bytes) });
  const edge = await startEdge({
    bindings: { PERSO_BUNDLE: undefined, PERSO_BUNDLE_SIG: undefined, PERSO_PUBLIC_KEYS: `host-1:${signer.publicKey}`, PERSO_BUNDLE_URL: host.url, ...bindings },
  });
  return {
    edge,
    host,
    signer,
    page: (at = T0) => edge.visitor().get("/", { at, headers: { referer: GADGETS_REFERER } }),
    settled: () => fetch(new URL("/__test/bundle-settled", edge.url)).then((r) => r.json()),
    async close() {
      await edge.close();
      await host.close();
    },
  };
}

async function assertPassedThrough(edge, page) {
  const origin = await fetch(`${edge.origin.url}/`).then((r) => r.text());
  assert.equal(page.status, 200);
  assert.equal(page.text, origin, "the origin's page, unchanged");
  assert.deepEqual(page.headers.getSetCookie(), []);
}

test("a bundle host that never answers: pages pass through after PERSO_BUNDLE_TIMEOUT_MS, and the host is not asked again at once", { timeout: 20_000 }, async () => {
  const setup = await edgeWithHost(SERIAL_2, { PERSO_BUNDLE_TIMEOUT_MS: "300" });
  try {
    setup.host.state.mode = "hang";
    await assertPassedThrough(setup.edge, await setup.page());
    assert.match(setup.edge.logged("bundle_timeout")[0].message, /no complete answer within 300 ms/);
    const asked = setup.host.state.requests.length;
    await assertPassedThrough(setup.edge, await setup.page(T0 + 1000));
    assert.equal(setup.host.state.requests.length, asked, "within the retry interval, no new fetch");
  } finally {
    await setup.close();
  }
});

test("an endless bundle body: reading stops at the 1 MiB limit, not at the end of the host's patience", { timeout: 20_000 }, async () => {
  const setup = await edgeWithHost(SERIAL_2, { PERSO_BUNDLE_TIMEOUT_MS: "15000" });
  try {
    setup.host.state.mode = "endless";
    await assertPassedThrough(setup.edge, await setup.page());
    // What the host managed to write: the worker's 1 MiB plus what the sockets buffer.
    assert.ok(setup.host.state.endlessBytes < 16 * 1048576, `${setup.host.state.endlessBytes} bytes sent before the worker hung up`);
    assert.match(setup.edge.logged("bundle_too_large")[0].message, /over the 1,048,576-byte limit of a published bundle/);
  } finally {
    await setup.close();
  }
});

test("after the TTL the last good bundle keeps serving while the refresh runs in the background", { timeout: 20_000 }, async () => {
  // A long fetch timeout: only stale-while-revalidate can answer while the host holds.
  const setup = await edgeWithHost(SERIAL_2, { PERSO_BUNDLE_TTL_S: "60", PERSO_BUNDLE_TIMEOUT_MS: "30000" });
  try {
    const first = await setup.page();
    assert.match(first.text, /data-perso-edge="2"/);
    setup.host.state.mode = "hold";
    setup.host.state.files = { bundle: SERIAL_3, signature: await setup.signer.sign(SERIAL_3) };
    const stale = await setup.page(T0 + 61_000);
    assert.match(stale.text, /data-perso-edge="2"/, "served from memory while the host holds the refresh");
    assert.equal(renderedCampaign(stale.text, "hero"), "aff-hero");
    // The refresh's two GETs (bundle and .sig) reach the host; then it answers.
    while (setup.host.state.held.length < 2) await new Promise((resolve) => setImmediate(resolve));
    setup.host.release();
    await setup.settled();
    const fresh = await setup.page(T0 + 62_000);
    assert.match(fresh.text, /data-perso-edge="3"/, "the refreshed bundle, once it arrived");
  } finally {
    setup.host.release();
    await setup.close();
  }
});

test("PERSO_MIN_SERIAL refuses an older bundle in every isolate; a bad value is a clear config error", async () => {
  for (const [min, expected] of [["2", "rollback"], ["1", null], ["two", "config"]]) {
    const edge = await startEdge({ bindings: { PERSO_MIN_SERIAL: min } });
    try {
      const page = await edge.visitor().get("/", { at: T0, headers: { referer: GADGETS_REFERER } });
      if (expected === null) {
        assert.equal(renderedCampaign(page.text, "hero"), "aff-hero", `min ${min}`);
      } else {
        await assertPassedThrough(edge, page);
        assert.equal(edge.logged(expected).length, 1, `min ${min}: ${edge.logs.join("\n")}`);
        if (expected === "config") assert.match(edge.logged("config")[0].message, /PERSO_MIN_SERIAL must be an integer/);
      }
    } finally {
      await edge.close();
    }
  }
});

test("one bundle size limit, 1 MiB, inline or fetched, with an error that says so", async () => {
  // A compiled bundle, validly signed, just over the limit: long product names, compiled
  // with the compiler's own limit raised (perso publish would refuse it).
  const big = oversized();
  assert.ok(big.length > 1_048_576 && big.length < 1_100_000, `${big.length} bytes`);
  const inline = await startEdge({ bundle: big });
  try {
    await assertPassedThrough(inline, await inline.visitor().get("/", { at: T0, headers: { referer: GADGETS_REFERER } }));
    assert.match(inline.logged("bundle_too_large")[0].message, /bundle is \d+ bytes, over the 1,048,576-byte limit/);
  } finally {
    await inline.close();
  }
  const fetched = await edgeWithHost(big);
  try {
    await assertPassedThrough(fetched.edge, await fetched.page());
    assert.equal(fetched.edge.logged("bundle_too_large").length, 1);
  } finally {
    await fetched.close();
  }
});

/** The Gizmos bundle grown past 1 MiB compiled (one product with a long description per sku). */
function oversized() {
  const source = JSON.parse(BUNDLE_TEXT);
  source.serial = 2;
  const grow = (n) => {
    const bundle = structuredClone(source);
    for (let i = 0; i < n; i++) bundle.products[`PAD-${i}`] = { name: `Padding product ${i} ${"x".repeat(1000)}`, category: "audio", price: 1, url: `/product/PAD-${i}` };
    return compileBundle(JSON.stringify(bundle), { maxBytes: 8 << 20 });
  };
  const per = (grow(20).length - grow(0).length) / 20;
  let n = Math.ceil((1_048_577 - grow(0).length) / per);
  let bytes = grow(n);
  while (bytes.length <= 1_048_576) bytes = grow(++n);
  return bytes;
}
