/**
 * One line of text from anything quoted from outside (a trace, a config value, a file's problem), for hooks
 * and the workload alike. Hooks hand such texts to hook tools as argv (status-set, juju-log): a NUL byte makes
 * spawn throw and one argument over 128 KiB fails with E2BIG. The workload writes them to its log, where a
 * line break inside a message would forge a line. Everything quoted from outside passes through here first.
 */

/** C0 and C1 controls, DEL, and the Unicode line and paragraph separators. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this removes
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;
const LINE_BREAKS = /\r\n|[\n\r\u2028\u2029]/g;

/** The default bound: far below the kernel's 128 KiB per argument, long enough to be useful. */
export const MAX_LOG_CHARS = 2_000;

/**
 * One line: control characters and whitespace runs become one space, then cut to `max` characters with an
 * ellipsis, never through a surrogate pair. With `lineBreak` (the workload's log uses "⏎"), each line break
 * is shown as that mark between spaces instead, so a multi-line trace stays readable on one line.
 */
export function oneLine(text: string, max = MAX_LOG_CHARS, lineBreak?: string): string {
  const marked = lineBreak === undefined ? text : text.replace(LINE_BREAKS, ` ${lineBreak} `);
  const line = marked.replace(CONTROLS, " ").replace(/\s+/g, " ").trim();
  if (line.length <= max) return line;
  let cut = max - 1;
  const last = line.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut--;
  return `${line.slice(0, cut)}…`;
}
