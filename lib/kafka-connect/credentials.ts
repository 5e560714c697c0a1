/**
 * Keeps the client's own credentials out of every text it reports. The client never puts headers in an error
 * or log, but a worker, proxy or load balancer may echo them back in a body (a debug page showing the request,
 * an `Authorization: Basic …` line), and that text becomes an error message. So every text that came from
 * outside is scrubbed of the password (plain, JSON-escaped, URL-encoded both ways) and of the header's
 * base64 `user:password`, before it is cut to length (a cut could leave half a credential unrecognisable).
 */

export type Scrub = (text: string) => string;

const MASK = "***";

export const noScrub: Scrub = (text) => text;

/** The forms in which `auth` could come back in a text, longest first so a longer form is replaced whole. */
export function credentialForms(auth: { readonly username: string; readonly password: string }): string[] {
  const { username, password } = auth;
  const forms = new Set<string>();
  const pair = Buffer.from(`${username}:${password}`, "utf8");
  // Unpadded, so the padded form and any text that drops the padding both match.
  forms.add(pair.toString("base64").replace(/=+$/, ""));
  forms.add(pair.toString("base64url"));
  if (password !== "") {
    forms.add(password);
    forms.add(JSON.stringify(password).slice(1, -1));
    forms.add(encodeURIComponent(password));
    forms.add(new URLSearchParams({ p: password }).toString().slice(2));
  }
  return [...forms].filter((form) => form !== "").sort((a, b) => b.length - a.length);
}

export function credentialScrubber(
  auth: { readonly username: string; readonly password: string } | undefined,
): Scrub {
  if (auth === undefined) return noScrub;
  const forms = credentialForms(auth);
  return (text) => {
    let out = text;
    for (const form of forms) if (out.includes(form)) out = out.split(form).join(MASK);
    return out;
  };
}
