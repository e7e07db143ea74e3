// The demo server's rendering of a customer profile into a page: no value can close
// the JSON element or inject markup, and only documented profile fields are written.
import { test } from "node:test";
import assert from "node:assert/strict";
import { customerElement } from "../../js/demo/accounts.mjs";

test("a profile is rendered as an inert JSON element, escaped", () => {
  const html = customerElement({ known: true, first_name: "</script><script>alert(1)</script>&\u2028", email: "ada@x", customer_id: "C1" });
  assert.ok(html.startsWith('<script type="application/json" id="perso-customer">'));
  const body = html.slice(html.indexOf(">") + 1, html.lastIndexOf("</script>"));
  assert.doesNotMatch(body, /[<>&\u2028]/, "nothing in the body can end the element");
  assert.deepEqual(JSON.parse(body), { known: true, first_name: "</script><script>alert(1)</script>&\u2028" });
});
