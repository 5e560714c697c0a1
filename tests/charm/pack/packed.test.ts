import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isCharmArchive } from "../../../lib/testing/charm-archive.js";
import { packInto, sourceTreeHash } from "../../support/packed.js";

/** The cached pack end-to-end tests share: one pack per source tree, whoever asks first, however many ask. */

const root = mkdtempSync(join(tmpdir(), "kci-packed-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("packInto", () => {
  it("packs once for callers arriving together, taking over a lock whose owner died", async () => {
    const hash = await sourceTreeHash();
    // A lock left by a process that is gone (a crashed test worker).
    const dead = spawnSync(process.execPath, ["-e", "0"]).pid!;
    mkdirSync(join(root, `${hash}.lock`), { recursive: true });
    writeFileSync(join(root, `${hash}.lock`, "pid"), String(dead));

    const [a, b] = await Promise.all([packInto(root), packInto(root)]);
    expect(a).toBe(b);
    expect(a).toBe(join(root, hash, "kafka-connect-integrator_ubuntu@24.04-amd64.charm"));
    expect(await isCharmArchive(a)).toBe(true);
    // Nothing half-written is left, and the lock is gone.
    expect(readdirSync(join(root, hash))).toEqual(["kafka-connect-integrator_ubuntu@24.04-amd64.charm"]);
    expect(readdirSync(root).sort()).toEqual([hash]);
    // A later caller finds it.
    expect(await packInto(root)).toBe(a);
  }, 120_000);
});
