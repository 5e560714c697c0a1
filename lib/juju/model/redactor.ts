/**
 * Remembers secret values seen in this hook (read from or written to secrets) and blanks them out of any
 * text bound for argv, logs or status. Short values are still redacted: a 3-char password is still a password.
 */
export class Redactor {
  private readonly values = new Set<string>();

  add(...values: readonly string[]): void {
    for (const v of values) if (v.length > 0) this.values.add(v);
  }

  addContent(content: Readonly<Record<string, string>>): void {
    this.add(...Object.values(content));
  }

  /** Whether `text` contains any known secret value. */
  leaks(text: string): boolean {
    for (const v of this.values) if (text.includes(v)) return true;
    return false;
  }

  redact(text: string): string {
    // Longest first, so a value that contains another is replaced whole.
    const sorted = [...this.values].sort((a, b) => b.length - a.length);
    let out = text;
    for (const v of sorted) out = out.split(v).join("***");
    return out;
  }
}
