import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  name: string;
  engines: { node: string };
  exports: Record<string, { types: string; import: string } | string>;
};

describe("the published package", () => {
  const entries = Object.entries(pkg.exports).filter(([k]) => k !== "./package.json");

  it.each(entries)(
    "%s has built JavaScript and type declarations (npm ci runs the build)",
    (_name, target) => {
      const t = target as { types: string; import: string };
      expect(existsSync(join(root, t.import))).toBe(true);
      expect(existsSync(join(root, t.types))).toBe(true);
    },
  );

  it.each(entries)("%s imports by package name", async (name) => {
    const mod = (await import(`${pkg.name}/${name.slice(2)}`)) as Record<string, unknown>;
    expect(Object.keys(mod).length).toBeGreaterThan(5);
  });

  it("promises the Node it is tested on", () => {
    const [major, minor] = process.versions.node.split(".").map(Number) as [number, number];
    const [wantMajor, wantMinor] = pkg.engines.node.replace(">=", "").split(".").map(Number) as [
      number,
      number,
    ];
    expect(major > wantMajor || (major === wantMajor && minor >= wantMinor)).toBe(true);
  });
});

describe("the lock file", () => {
  it("has an entry for every optional dependency, so npm ci accepts it (npm run lock keeps it so)", async () => {
    const { missingOptionals } = await import("../scripts/complete-lockfile.mjs");
    const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as unknown;
    expect(missingOptionals(lock).map((m) => m.name)).toEqual([]);
  });
});
