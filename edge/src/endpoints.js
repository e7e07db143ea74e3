// The worker's own endpoints under /.perso/ (docs/edge-deploy.md §1.5): the no-JS
// fallbacks of the dismiss button and the registration form. They only change the
// visitor's own signed state and answer 303 to a same-site path.

const MAX_FORM_BYTES = 4096;

/** A same-site path to return to, or "/". */
export function safeReturnPath(value) {
  if (typeof value !== "string" || value.length > 512 || !value.startsWith("/") || value.startsWith("//") || value.includes("\\")) return "/";
  return /^[\x21-\x7e]*$/.test(value) ? value : "/";
}

export async function readForm(request) {
  const declared = Number(request.headers.get("content-length"));
  if (declared > MAX_FORM_BYTES) return null;
  const type = request.headers.get("content-type") ?? "";
  if (!type.startsWith("application/x-www-form-urlencoded")) return null;
  const text = await request.text();
  if (text.length > MAX_FORM_BYTES) return null;
  return new URLSearchParams(text);
}

/** The interests answered in a registration form, restricted to the bundle's options. */
export function answeredInterests(form, campaigns) {
  const allowed = new Map();
  for (const campaign of campaigns.values()) {
    if (campaign.action?.kind !== "register") continue;
    for (const question of campaign.action.questions ?? []) {
      const values = allowed.get(question.id) ?? new Set();
      for (const option of question.options ?? []) values.add(option.value);
      allowed.set(question.id, values);
    }
  }
  const interests = [];
  for (const [id, values] of allowed) {
    for (const answer of form.getAll(id)) if (values.has(answer) && !interests.includes(answer)) interests.push(answer);
  }
  return interests;
}

export function seeOther(location, setCookies) {
  const headers = new Headers({ location, "cache-control": "private, no-store" });
  for (const cookie of setCookies) headers.append("set-cookie", cookie);
  return new Response(null, { status: 303, headers });
}
