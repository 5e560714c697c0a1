#!/usr/bin/env node
// The registry this project is built against serves only some platforms' builds of packages like esbuild,
// rollup and biome; `npm install` then leaves the other platforms' optional packages out of the lock file and
// `npm ci` refuses it as out of sync. This adds the missing entries, marked optional with the os/cpu/libc their
// names give, so `npm ci` accepts the lock and skips them on every other platform. Run after `npm install`
// (`npm run lock` does both); tests/package.test.ts fails when the lock is incomplete.
import { readFileSync, writeFileSync } from "node:fs";

const OS = [
  "aix",
  "android",
  "darwin",
  "freebsd",
  "linux",
  "netbsd",
  "openbsd",
  "openharmony",
  "sunos",
  "win32",
  "wasi",
];
const CPU = ["arm", "arm64", "ia32", "loong64", "mips64el", "ppc64", "riscv64", "s390x", "x64", "wasm32"];

export function platformOf(name) {
  const tokens = name.split("/").pop().split("-");
  const os = tokens.find((t) => OS.includes(t));
  const cpu = tokens.find((t) => CPU.includes(t));
  if (name === "fsevents") return { os: ["darwin"] };
  if (!os && !cpu) return undefined;
  const libc = tokens.some((t) => t.startsWith("musl"))
    ? ["musl"]
    : tokens.some((t) => t === "gnu" || t.startsWith("gnueabi")) && os === "linux"
      ? ["glibc"]
      : undefined;
  return { ...(os ? { os: [os] } : {}), ...(cpu ? { cpu: [cpu] } : {}), ...(libc ? { libc } : {}) };
}

export function missingOptionals(lock) {
  const out = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
      const base = path ? `${path}/node_modules/${name}` : `node_modules/${name}`;
      if (!lock.packages[base] && !lock.packages[`node_modules/${name}`])
        out.push({ key: `node_modules/${name}`, name, version, dev: entry.dev === true });
    }
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2] ?? "package-lock.json";
  const lock = JSON.parse(readFileSync(file, "utf8"));
  let added = 0;
  for (const m of missingOptionals(lock)) {
    const platform = platformOf(m.name);
    if (!platform) {
      console.error(`cannot tell the platform of optional package ${m.name}; add its lock entry by hand`);
      process.exitCode = 1;
      continue;
    }
    const version = m.version.replace(/^[\^~]/, "");
    lock.packages[m.key] = { version, ...(m.dev ? { dev: true } : {}), optional: true, ...platform };
    added++;
  }
  writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
  console.log(`lock file: ${added} optional platform entr${added === 1 ? "y" : "ies"} added`);
}
