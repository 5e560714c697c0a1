import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const DIR = join(import.meta.dirname, "../../../lib/testing/kafka-connect");

/** Every relative import (value or type, static or dynamic, re-exports included) of every module. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of readdirSync(DIR).filter((f) => f.endsWith(".ts"))) {
    const text = readFileSync(join(DIR, file), "utf8");
    const targets = [...text.matchAll(/(?:from|import\()\s*"\.\/([^"]+)\.js"/g)].map((m) => `${m[1]}.ts`);
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** A cycle as a path of modules, or undefined when imports run one way. */
function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === "done") return undefined;
    if (state.get(node) === "open") return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, "done");
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

describe("the emulator's module structure", () => {
  const graph = importGraph();

  it("finds a cycle when there is one (the check itself)", () => {
    const cyclic = new Map([
      ["a.ts", ["b.ts"]],
      ["b.ts", ["c.ts"]],
      ["c.ts", ["a.ts"]],
    ]);
    expect(findCycle(cyclic)).toEqual(["a.ts", "b.ts", "c.ts", "a.ts"]);
    expect(findCycle(new Map([["a.ts", ["b.ts"]]]))).toBeUndefined();
  });

  it("imports run one way: the module graph is acyclic, type imports included", () => {
    expect(graph.get("cluster.ts")).toContain("engine.ts"); // the graph was read, not empty
    expect(findCycle(graph)).toBeUndefined();
  });

  it("the engine does no I/O and knows nothing of HTTP; no module passes 400 lines", () => {
    const below = (file: string, seen = new Set<string>()): Set<string> => {
      for (const next of graph.get(file) ?? []) if (!seen.has(next)) below(next, seen.add(next));
      return seen;
    };
    const engineDeps = below("engine.ts");
    for (const http of ["worker-app.ts", "gateway.ts", "routes.ts", "handlers.ts", "cluster.ts"])
      expect(engineDeps.has(http), http).toBe(false);
    for (const file of graph.keys()) {
      const lines = readFileSync(join(DIR, file), "utf8").split("\n").length;
      expect([file, lines <= 400]).toEqual([file, true]);
    }
  });
});
