// The host-neutral consent rules (js/src/kit/consent.js) in Node: the TC string decoder
// against IAB Tech Lab's reference implementation (@iabtechlabtcf/core encodes the
// strings; random purposes, publisher segments, every header field), and the one rule
// the browser and the edge share.
import { test } from "node:test";
import assert from "node:assert/strict";
import { TCModel, TCString, GVL } from "@iabtechlabtcf/core";
import { decodeTcString, consentFromTcString, consentFromTcf, consentFromShopify } from "../src/kit/consent.js";

// A minimal global vendor list: the reference encoder needs one for the vendor sections.
const gvl = new GVL({
  gvlSpecificationVersion: 3, vendorListVersion: 150, tcfPolicyVersion: 5, lastUpdated: "2026-11-01T00:00:00Z",
  purposes: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [i + 1, { id: i + 1, name: `Purpose ${i + 1}`, description: "", illustrations: [] }])),
  specialPurposes: {}, features: {},
  specialFeatures: { 1: { id: 1, name: "Geolocation", description: "" }, 2: { id: 2, name: "Device scan", description: "" } },
  vendors: { 755: { id: 755, name: "Vendor", purposes: [1, 2], legIntPurposes: [7], flexiblePurposes: [], specialPurposes: [], features: [], specialFeatures: [], policyUrl: "https://vendor.test/" } },
  stacks: {}, dataCategories: {},
});

/** A PRNG so failures replay (mulberry32). */
function random(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = (rand, max) => Array.from({ length: max }, (_, i) => i + 1).filter(() => rand() < 0.5);
const ids = (vector) => [...vector].filter(([, on]) => on).map(([id]) => id).sort((a, b) => a - b);

test("decodeTcString reads what IAB's reference encoder wrote (200 random strings)", () => {
  const rand = random(13);
  for (let i = 0; i < 200; i++) {
    const model = new TCModel(gvl);
    model.cmpId = 1 + Math.floor(rand() * 4000);
    model.cmpVersion = Math.floor(rand() * 4000);
    model.consentScreen = Math.floor(rand() * 60);
    model.publisherCountryCode = ["DE", "FR", "GB", "IT", "AA"][i % 5];
    model.isServiceSpecific = rand() < 0.5;
    model.purposeOneTreatment = rand() < 0.2;
    model.purposeConsents.set(pick(rand, 11));
    model.purposeLegitimateInterests.set(pick(rand, 11).filter((id) => id === 2 || id > 6));
    model.specialFeatureOptins.set(pick(rand, 2));
    model.vendorConsents.set(rand() < 0.5 ? [755] : []);
    const publisher = rand() < 0.5;
    if (publisher) model.publisherConsents.set(pick(rand, 11));
    const text = TCString.encode(model, { segments: publisher ? ["core", "publisherTC"] : ["core"] });
    const reference = TCString.decode(text);
    const mine = decodeTcString(text);
    assert.ok(mine, text);
    assert.equal(mine.cmpId, reference.cmpId, text);
    assert.equal(mine.cmpVersion, reference.cmpVersion);
    assert.equal(mine.consentScreen, reference.consentScreen);
    assert.equal(mine.vendorListVersion, reference.vendorListVersion);
    assert.equal(mine.policyVersion, reference.policyVersion);
    assert.equal(mine.consentLanguage, reference.consentLanguage);
    assert.equal(mine.publisherCountryCode, reference.publisherCountryCode);
    assert.equal(mine.isServiceSpecific, reference.isServiceSpecific);
    assert.equal(mine.purposeOneTreatment, reference.purposeOneTreatment);
    assert.equal(mine.created, reference.created.getTime());
    assert.equal(mine.lastUpdated, reference.lastUpdated.getTime());
    assert.deepEqual(mine.purposeConsents, ids(reference.purposeConsents), text);
    assert.deepEqual(mine.purposeLegitimateInterests, ids(reference.purposeLegitimateInterests));
    assert.deepEqual(mine.specialFeatureOptIns, ids(reference.specialFeatureOptins));
    assert.deepEqual(mine.publisherPurposeConsents, publisher ? ids(reference.publisherConsents) : null);
    const granted = [1, 5, 6].every((id) => reference.purposeConsents.has(id));
    assert.equal(consentFromTcString(text).granted, granted, text);
  }
});

test("unreadable, truncated, TCF v1 and oversized strings are no consent", () => {
  const model = new TCModel(gvl);
  model.purposeConsents.set([1, 5, 6]);
  const good = TCString.encode(model);
  assert.equal(consentFromTcString(good).granted, true);
  for (const bad of ["", "!!!", good.slice(0, 20), "BOEFEAyOEFEAyAHABDENAI4AAAB9vABAASA", "C".repeat(20000), null, undefined, 42]) {
    assert.equal(decodeTcString(bad), null, String(bad).slice(0, 30));
    assert.deepEqual(consentFromTcString(bad), { storage: false, personalization: false, granted: false });
  }
  // Outside the GDPR (the edge knows from the request's country), no string is needed.
  assert.equal(consentFromTcString(undefined, { gdprApplies: false }).granted, true);
});

test("the rule: storage is purpose 1, personalization purposes 5 and 6; every form of purpose list reads alike", () => {
  const forms = (list) => [new Set(list), list, Object.fromEntries(list.map((id) => [id, true]))];
  for (const form of forms([1, 5, 6])) assert.deepEqual(consentFromTcf({ gdprApplies: true, purposeConsents: form }), { storage: true, personalization: true, granted: true });
  for (const form of forms([1, 5])) assert.deepEqual(consentFromTcf({ gdprApplies: true, purposeConsents: form }), { storage: true, personalization: false, granted: false });
  for (const form of forms([5, 6])) assert.deepEqual(consentFromTcf({ purposeConsents: form }), { storage: false, personalization: true, granted: false });
  assert.equal(consentFromTcf({ gdprApplies: true, purposeConsents: { 1: true, 5: true, 6: "yes" } }).granted, false, "only true counts");
  assert.equal(consentFromTcf({ gdprApplies: false }).granted, true);
  assert.equal(consentFromShopify(true).granted, true);
  assert.equal(consentFromShopify(undefined).granted, false);
});
