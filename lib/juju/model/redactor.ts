/**
 * Remembers secret values seen in this hook (read from or written to secrets) and blanks them out of any
 * text bound for argv, logs or status. Short values are still redacted: a 3-char password is still a password.
 *
 * A charm rarely logs a secret as it is: it logs an object (JSON-serialised, so `"`, `\` and newlines come
 * out escaped), a URL (percent-encoded), a form body, a header (base64). So each value is matched in every
 * form it takes in those encodings, the whole value first (longest first), then, for multi-line values such
 * as PEM keys, each long line on its own. Derived forms that are short would match ordinary text by chance,
 * so base64 forms need a value of MIN_ENCODED_VALUE characters and lines MIN_LINE; the value itself and its
 * escaped/encoded spellings (never shorter than it) are always matched, as before.
 */

const MASK = "***";
/** Base64 of fewer characters is 8 or fewer: a chance match in any base64 text (a certificate, a token). */
export const MIN_ENCODED_VALUE = 6;
/** A PEM body line is 64 characters; a line this short ("-----END …" aside) is not a secret on its own. */
export const MIN_LINE = 16;

export class Redactor {
  private readonly values = new Set<string>();
  /** Every form of every value, longest first; rebuilt when a value is added. */
  private forms: readonly string[] = [];

  add(...values: readonly string[]): void {
    let added = false;
    for (const v of values) {
      if (v.length === 0 || this.values.has(v)) continue;
      this.values.add(v);
      added = true;
    }
    if (!added) return;
    const all = new Set<string>();
    for (const v of this.values) for (const form of secretForms(v)) all.add(form);
    this.forms = [...all].sort((a, b) => b.length - a.length);
  }

  addContent(content: Readonly<Record<string, string>>): void {
    this.add(...Object.values(content));
  }

  /** Whether `text` contains any known secret value, in any of its forms. */
  leaks(text: string): boolean {
    return this.forms.some((form) => text.includes(form));
  }

  redact(text: string): string {
    // Longest first, so a value that contains another (or a line of itself) is replaced whole.
    let out = text;
    for (const form of this.forms) if (out.includes(form)) out = out.split(form).join(MASK);
    return out;
  }
}

/** The spellings of `value` a charm's text may carry it in. Pure. */
export function secretForms(value: string): string[] {
  const forms = new Set<string>([value]);
  addEscaped(forms, value);
  if (value.length >= MIN_ENCODED_VALUE) {
    const bytes = Buffer.from(value, "utf8");
    // Unpadded: matches the padded form too, and text that dropped the padding.
    forms.add(bytes.toString("base64").replace(/=+$/, ""));
    forms.add(bytes.toString("base64url"));
  }
  if (/[\r\n]/.test(value)) {
    // The same value with the other line ending, then each long line (a charm may log one line of a key).
    forms.add(value.includes("\r\n") ? value.replace(/\r\n/g, "\n") : value.replace(/\n/g, "\r\n"));
    for (const line of value.split(/\r?\n|\r/)) {
      const trimmed = line.trim();
      if (trimmed.length >= MIN_LINE) {
        forms.add(trimmed);
        addEscaped(forms, trimmed);
      }
    }
  }
  return [...forms].filter((form) => form.length > 0);
}

/** JSON-escaped (once, twice, and ASCII-only as Python writes it), URL-encoded and form-encoded. */
function addEscaped(forms: Set<string>, value: string): void {
  const json = JSON.stringify(value).slice(1, -1);
  forms.add(json);
  forms.add(JSON.stringify(json).slice(1, -1));
  forms.add(json.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`));
  forms.add(new URLSearchParams({ v: value }).toString().slice(2));
  try {
    forms.add(encodeURIComponent(value));
  } catch {
    // A lone surrogate cannot be percent-encoded: no text can carry it that way.
  }
}
