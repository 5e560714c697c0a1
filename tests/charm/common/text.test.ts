import { describe, expect, it } from "vitest";
import { MAX_LOG_CHARS, oneLine } from "../../../charm/common/text.js";
import { oneLine as hooksOneLine } from "../../../charm/src/text.js";
import { createLog, Masker } from "../../../charm/workload/log.js";

describe("oneLine: the one helper hooks and workload share", () => {
  it("is what the hooks import", () => {
    expect(hooksOneLine).toBe(oneLine);
  });

  it("controls (C0, C1, DEL, U+2028/2029) and whitespace runs become one space, trimmed", () => {
    expect(oneLine("  a\n\tb\u0085c\u2028d\u2029e\u007ff\u0000g  ")).toBe("a b c d e f g");
  });

  it("cuts to max characters with an ellipsis, never through a surrogate pair", () => {
    expect(oneLine("abcdef", 4)).toBe("abc…");
    expect(oneLine("ab\u{1F600}cd", 4)).toBe("ab…");
    expect(oneLine("x".repeat(10_000)).length).toBe(MAX_LOG_CHARS);
  });

  it("may mark line breaks instead of joining them silently", () => {
    expect(oneLine("first\r\nsecond\nthird\u2028fourth", 100, "⏎")).toBe("first ⏎ second ⏎ third ⏎ fourth");
  });
});

describe("the workload's log lines", () => {
  it("one line each whatever the message holds: line breaks marked, C1 and Unicode separators gone, bounded", () => {
    const lines: string[] = [];
    const log = createLog(new Masker(), (_level, line) => lines.push(line));
    log.warn("boom\n\tat a\u2028forged INFO line\u0085x");
    log.info(`${"y".repeat(10_000)}\u{1F600}`);
    expect(lines[0]).toBe("WARN boom ⏎ at a ⏎ forged INFO line x");
    expect(lines[1]!.length).toBeLessThanOrEqual(5 + 4096);
    expect(lines[1]!.endsWith("…")).toBe(true);
  });
});
