import { describe, expect, it } from "vitest";
import { MAX_TEXT_RESULT, renderTable } from "../../../charm/src/actions/format.js";

describe("bounded results", () => {
  it("a huge cell cannot make a table longer than one argv argument", () => {
    const table = renderTable(
      ["PARTITION", "OFFSET"],
      [
        ["x".repeat(200_000), "1"],
        ["p", "2"],
      ],
    );
    expect(table.length).toBeLessThanOrEqual(MAX_TEXT_RESULT);
    expect(table.split("\n")[0]!.length).toBeLessThan(2000);
  });

  it("a table of more rows than a spread can take is rendered, not a stack overflow", () => {
    const rows = Array.from({ length: 300_000 }, (_, i) => [String(i), "1"]);
    const table = renderTable(["PARTITION", "OFFSET"], rows);
    expect(table.length).toBeLessThanOrEqual(MAX_TEXT_RESULT);
    expect(table).toMatch(/… \d+ more \(see the structured results\)$/);
  });
});
