import { describe, expect, it } from "vitest";
import { decodeProviderBag, decodeRequirerBag } from "../../../lib/connect-client/wire/index.js";
import { BAD } from "../fixtures/cases.js";

describe("bad inputs: every problem, with its exact message", () => {
  it("the table is large enough to mean something", () => {
    expect(BAD.length).toBeGreaterThanOrEqual(30);
    expect(new Set(BAD.map((c) => c.name)).size).toBe(BAD.length);
  });

  for (const c of BAD) {
    it(`${c.role}: ${c.name}`, () => {
      const d = c.role === "requirer" ? decodeRequirerBag(c.bag) : decodeProviderBag(c.bag);
      expect(d.ok).toBe(false);
      if (!d.ok) expect(d.problems).toEqual(c.problems);
    });
  }

  it("each message names its key", () => {
    for (const c of BAD) {
      for (const p of c.problems) expect(p.message.startsWith(p.key), `${c.name}: ${p.message}`).toBe(true);
    }
  });
});
