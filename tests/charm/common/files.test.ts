import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readBoundedFile, writeFileAtomic } from "../../../charm/common/files.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "kci-files-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("the state files between hooks and the workload", () => {
  it("are written whole and private (0600), replacing what was there", async () => {
    const path = join(dir, "desired.json");
    writeFileSync(path, "old", { mode: 0o644 });
    await writeFileAtomic(path, '{"a":1}');
    expect(readFileSync(path, "utf8")).toBe('{"a":1}');
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it("read as undefined when absent, and refused past the size bound", async () => {
    expect(await readBoundedFile(join(dir, "none"))).toBeUndefined();
    const path = join(dir, "big");
    writeFileSync(path, "x".repeat(101));
    await expect(readBoundedFile(path, 100)).rejects.toThrow("over the 100-byte limit");
    expect(await readBoundedFile(path, 101)).toBe("x".repeat(101));
  });

  it("a FIFO planted where a state file should be is refused at once instead of hanging the hook", async () => {
    const path = join(dir, "status.json");
    execFileSync("mkfifo", [path]);
    // A blocking open of a FIFO with no writer never returns; vitest's timeout would fail this test.
    await expect(readBoundedFile(path)).rejects.toThrow("is not a regular file");
  });

  it("a symlink to a device is refused too", async () => {
    const path = join(dir, "status.json");
    symlinkSync("/dev/zero", path);
    await expect(readBoundedFile(path)).rejects.toThrow("is not a regular file");
  });
});
