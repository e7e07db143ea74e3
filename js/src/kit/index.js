// perso's host kit: what both JS hosts (the browser runtime and the edge worker)
// share, with no DOM and no Workers API — the engine boundary, the slot encoding,
// error codes and messages, limits. Imported by js/src/ and edge/src/.
export { createKit, hostSection, isCompiledBundle } from "./engine.js";
export { SlotWriter, pathGetter } from "./slots.js";
export { PersoError, engineError, isEngineTrap, ENGINE_CODES } from "./errors.js";
export { LIMITS } from "./limits.js";
export { parseKeys, parseSignatureFile, verifyBundle } from "./signature.js";
export { encodeBase64, decodeBase64 } from "./base64.js";
export { consentFromTcf, consentFromTcString, decodeTcString, consentFromShopify, TCF_PURPOSES } from "./consent.js";
export {
  COOKIE, COOKIE_LIMITS, COOKIE_VERSION, encodeBase64Url, decodeBase64Url, encodeJsonBase64Url, decodeJsonBase64Url,
  cookieValue, readCookies, cookieString, unsignedValue, readUnsignedValue, signValue, verifyValue, verifyKeyedValue,
  statePayload, readStatePayload, stateBudget, peekStateCookie, readClientEvents, appendClientEvent, cartValue, readCart,
} from "./cookies.js";
