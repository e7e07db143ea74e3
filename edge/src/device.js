// Device type from the request: the `Sec-CH-UA-Mobile` client hint when the browser
// sends it, else the classic User-Agent tokens (tablets first: Android tablets omit
// "Mobile", iPads say "iPad" or, since iPadOS 13, pass as Macintosh and cannot be
// told apart from the header alone).

const TABLET = /iPad|Tablet|PlayBook|Silk|Kindle|Android(?!.*Mobile)/i;
const MOBILE = /Mobi|iPhone|iPod|Android|Windows Phone|BlackBerry|Opera Mini/i;

/** "mobile" | "tablet" | "desktop", or undefined when the request says nothing. */
export function deviceType(headers) {
  const userAgent = headers.get("user-agent");
  const mobileHint = headers.get("sec-ch-ua-mobile");
  if (mobileHint === "?1" && !(userAgent && TABLET.test(userAgent))) return "mobile";
  if (!userAgent) return mobileHint === "?0" ? "desktop" : undefined;
  if (TABLET.test(userAgent)) return "tablet";
  if (MOBILE.test(userAgent)) return "mobile";
  return "desktop";
}

/** First language tag of Accept-Language ("en-US"), or undefined. */
export function preferredLanguage(headers) {
  const header = headers.get("accept-language");
  if (!header) return undefined;
  const tag = header.split(",")[0].split(";")[0].trim();
  return /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/.test(tag) ? tag : undefined;
}
