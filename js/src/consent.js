// Consent platforms in the browser. A store's consent management platform (CMP)
// already knows whether the shopper allowed storage and personalization; perso asks
// it rather than showing a banner of its own:
//   - IAB TCF v2.2 (`window.__tcfapi`): found on its own; purposes 1, 5 and 6 when the
//     GDPR applies (the rule: kit/consent.js, shared with the edge worker);
//   - Shopify's Customer Privacy API (`window.Shopify.customerPrivacy`, loaded with
//     `Shopify.loadFeatures` when the theme has not yet): found on its own; the
//     `preferences` purpose;
//   - any other CMP: `consentAdapter(report)` in start()'s options, queued before load
//     (`perso.push(["consentAdapter", fn])`) or attached later (`perso.consentAdapter(fn)`).
//     The adapter calls `report(true | false)` with the shopper's choice, at once if it
//     is known and on every change, or `report(null)` while the CMP is still asking.
// Google Consent Mode (`personalization_storage`) is read with the dataLayer
// (datalayer.js; what it says before perso loads counts as a platform's first answer
// here) and `perso.consent(granted)` stays available.
//
// With a platform on the page, consent is required: perso waits a moment (at most
// CONSENT_WAIT_MS, while the engine compiles anyway) for the first answer before it
// reads or writes anything on the device; until a grant, it decides from the page
// alone and consent-gated campaigns are excluded; a denial or withdrawal erases
// perso's keys.
import { consentFromTcf, consentFromShopify } from "./kit/consent.js";
import { readEntry } from "./datalayer.js";

/** Longest perso waits for a platform's first answer before deciding without consent. */
export const CONSENT_WAIT_MS = 1000;

/** An adapter for IAB TCF v2.2's `__tcfapi`. */
export function tcfAdapter(win) {
  return (report) => {
    let listenerId = null;
    win.__tcfapi("addEventListener", 2, (tcData, success) => {
      if (!success || !tcData) return;
      listenerId = tcData.listenerId ?? listenerId;
      // The banner is up: no choice yet (the string it carries may be an old one).
      if (tcData.eventStatus === "cmpuishown") return report(null);
      report(consentFromTcf({ gdprApplies: tcData.gdprApplies, purposeConsents: tcData.purpose?.consents }).granted);
    });
    return () => {
      if (listenerId !== null) win.__tcfapi("removeEventListener", 2, () => {}, listenerId);
    };
  };
}

/** An adapter for Shopify's Customer Privacy API. */
export function shopifyPrivacyAdapter(win) {
  return (report) => {
    const doc = win.document;
    const onCollected = (event) => report(consentFromShopify(event.detail?.preferencesAllowed).granted);
    doc.addEventListener("visitorConsentCollected", onCollected);
    const read = () => {
      const api = win.Shopify?.customerPrivacy;
      report(typeof api?.preferencesProcessingAllowed === "function" ? consentFromShopify(api.preferencesProcessingAllowed()).granted : null);
    };
    if (win.Shopify?.customerPrivacy) read();
    else win.Shopify.loadFeatures([{ name: "consent-tracking-api", version: "0.1" }], (error) => (error ? report(null) : read()));
    return () => doc.removeEventListener("visitorConsentCollected", onCollected);
  };
}

/**
 * Google Consent Mode's `personalization_storage` as the dataLayer has it before perso
 * loads (the last `gtag("consent", "default" | "update", ...)` naming it), or undefined.
 * Read up front so a page that already granted is not started as "no consent" (later
 * updates reach the runtime through datalayer.js).
 */
export function consentModeAnswer(win) {
  let answer;
  for (const entry of Array.isArray(win.dataLayer) ? win.dataLayer : []) {
    const read = readEntry(entry);
    const value = read?.kind === "consent" ? read.params.personalization_storage : undefined;
    if (typeof value === "string") answer = value === "granted";
  }
  return answer;
}

/**
 * The consent adapters for this page: the store's own (`options.consentAdapter`, a
 * function or a list, and `["consentAdapter", fn]` entries of the pre-load queue),
 * then the platforms found on the page, unless `options.consentPlatforms === false`.
 */
export function findConsentAdapters(win, options = {}, queued = []) {
  const adapters = [options.consentAdapter].flat().filter((fn) => typeof fn === "function");
  for (const command of queued) {
    if (Array.isArray(command) && command[0] === "consentAdapter" && typeof command[1] === "function") adapters.push(command[1]);
  }
  if (options.consentPlatforms !== false) {
    const consentMode = consentModeAnswer(win);
    if (consentMode !== undefined) adapters.push((report) => report(consentMode));
    if (typeof win.__tcfapi === "function") adapters.push(tcfAdapter(win));
    const shopify = win.Shopify;
    if (shopify && (shopify.customerPrivacy || typeof shopify.loadFeatures === "function")) adapters.push(shopifyPrivacyAdapter(win));
  }
  return adapters;
}

/**
 * Connects adapters. Until `connect(apply)` is called, answers are remembered; after
 * it, each boolean answer goes to `apply(granted)` (the runtime's `consent`).
 * `first` resolves once every adapter has answered (or after `waitMs`) with whether
 * consent is granted: true only if every answer so far is a grant.
 */
export function attachConsent(adapters, { waitMs = CONSENT_WAIT_MS } = {}) {
  let apply = null;
  const answers = adapters.map(() => undefined);
  let resolveFirst;
  const first = new Promise((resolve) => (resolveFirst = resolve));
  const settle = () => resolveFirst(answers.length > 0 && answers.every((answer) => answer === true));
  const timer = adapters.length > 0 ? setTimeout(settle, waitMs) : null;
  const detach = [];
  adapters.forEach((adapter, index) => {
    const report = (granted) => {
      const value = granted === true ? true : granted === false ? false : null;
      answers[index] = value;
      if (apply && value !== null) apply(value);
      if (answers.every((answer) => answer !== undefined)) {
        clearTimeout(timer);
        settle();
      }
    };
    try {
      const off = adapter(report);
      if (typeof off === "function") detach.push(off);
    } catch (error) {
      console.warn("perso: a consent adapter threw; perso decides without consent until it answers", error);
      report(null);
    }
  });
  if (adapters.length === 0) settle();
  return {
    first,
    /** From now on, answers go to `fn(granted)`. */
    connect(fn) {
      apply = fn;
      // Answers that came after `first` settled, before this call, are not lost.
      const known = answers.filter((answer) => answer === true || answer === false);
      if (known.length > 0) fn(known.every((answer) => answer === true));
    },
    detach: () => detach.forEach((off) => off()),
  };
}
