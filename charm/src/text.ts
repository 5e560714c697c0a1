/**
 * Texts the hooks hand to hook tools (status-set, juju-log) travel as argv: a NUL byte makes spawn throw and
 * one argument over 128 KiB fails with E2BIG, so either would turn a bad config value or a broken workload's
 * report into a hook error. Everything quoted from outside passes through here first.
 */

/** C0 and C1 controls, DEL, and the Unicode line and paragraph separators. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this removes
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

/** The log line bound: far below the kernel's 128 KiB per argument, long enough to be useful. */
export const MAX_LOG_CHARS = 2_000;

/**
 * One line: control characters and whitespace runs become one space, then cut to `max` characters with an
 * ellipsis, never through a surrogate pair.
 */
export function oneLine(text: string, max = MAX_LOG_CHARS): string {
  const line = text.replace(CONTROLS, " ").replace(/\s+/g, " ").trim();
  if (line.length <= max) return line;
  let cut = max - 1;
  const last = line.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut--;
  return `${line.slice(0, cut)}…`;
}
