import { flattenResults } from "../../../lib/juju/tools/actions.js";

/**
 * Pure text helpers for action output: tables like kcctl's, Juju-safe result keys, masking and bounds.
 * Action results travel on argv (one argument at most 128 KiB on Linux), so every text here is bounded.
 */

/** The longest table (or other text result) an action sets: well under Linux's 128 KiB per argument. */
export const MAX_TEXT_RESULT = 96 * 1024;
/** One line of a failure or trace. */
export const MAX_LINE = 300;
/** One table cell: a wider one (an offsets partition, a worker's text) would pad every row to its width. */
export const MAX_CELL = 1024;
export const MASK = "***";

/**
 * Columns padded to the widest cell, two spaces apart, header first; trailing spaces trimmed. Cells are cut to
 * MAX_CELL and rows that do not fit in MAX_TEXT_RESULT are left out (counted in the last line).
 */
export function renderTable(header: readonly string[], cells: readonly (readonly string[])[]): string {
  const rows = cells.map((r) => r.map((c) => clip(c, MAX_CELL)));
  let widths = header.map((h) => h.length);
  for (const r of rows) widths = widths.map((w, i) => Math.max(w, (r[i] ?? "").length));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  const lines = [line(header)];
  let size = lines[0]!.length;
  for (const [i, row] of rows.entries()) {
    const text = line(row);
    if (size + text.length + 1 > MAX_TEXT_RESULT - 80) {
      lines.push(`… ${rows.length - i} more (see the structured results)`);
      break;
    }
    lines.push(text);
    size += text.length + 1;
  }
  return lines.join("\n");
}

/**
 * Juju result keys are lowercase letters, digits and "-", starting and ending with a letter or digit. A
 * declared name (`Orders.v2`) becomes `orders-v2`; a clash (`a.b` and `a-b`) gets `-2`, `-3`, … in the order
 * given. Returns declared name → key.
 */
export function resultKeys(names: readonly string[]): Map<string, string> {
  const keys = new Map<string, string>();
  const used = new Set<string>();
  for (const name of names) {
    const base =
      name
        .toLowerCase()
        .replace(/[^a-z0-9-]/g, "-")
        .replace(/^-+|-+$/g, "") || "connector";
    let key = base;
    for (let n = 2; used.has(key); n++) key = `${base}-${n}`;
    used.add(key);
    keys.set(name, key);
  }
  return keys;
}

/**
 * The `connectors` result, entry by entry while their `key=value` pairs fit in `budget` characters, and how
 * many were left out (reported as `connectors-left-out`; the table still counts them).
 */
export function boundedConnectors(
  entries: readonly (readonly [string, Readonly<Record<string, unknown>>])[],
  budget: number,
): { connectors?: Record<string, Readonly<Record<string, unknown>>>; "connectors-left-out"?: number } {
  const kept: Record<string, Readonly<Record<string, unknown>>> = {};
  let used = 0;
  let count = 0;
  for (const [key, value] of entries) {
    const size = flattenResults({ connectors: { [key]: value } }).reduce((n, pair) => n + pair.length + 1, 0);
    if (used + size > budget) break;
    kept[key] = value;
    used += size;
    count++;
  }
  const left = entries.length - count;
  return { ...(count ? { connectors: kept } : {}), ...(left ? { "connectors-left-out": left } : {}) };
}

/** `text` with every known secret value replaced by ***, longest first (as the runtime's redactor does). */
export function maskValues(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const v of [...secrets].filter((s) => s.length > 0).sort((a, b) => b.length - a.length)) {
    out = out.split(v).join(MASK);
  }
  return out;
}

/** The first line of `text`, at most `max` characters. */
export function firstLine(text: string, max = MAX_LINE): string {
  const line = text.split(/\r?\n/, 1)[0]?.trim() ?? "";
  return clip(line, max);
}

/** All lines of `text` joined with "; ", at most `max` characters. */
export function oneLine(text: string, max = MAX_LINE): string {
  const joined = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .join("; ");
  return clip(joined, max);
}

export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** A short quoted value for a diff line. */
export function shortValue(value: string, max = 40): string {
  return JSON.stringify(clip(value, max));
}

/** "12.3 MiB" for a byte count. */
export function humanBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${bytes} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** "a, b, c and 4 more": a bounded list for a message. */
export function listNames(names: readonly string[], max = 10): string {
  if (names.length <= max) return names.join(", ");
  return `${names.slice(0, max).join(", ")} and ${names.length - max} more`;
}
