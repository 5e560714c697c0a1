import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";

/** The environment variable that marks every process a unit's machine owns (inherited by descendants). */
export const MACHINE_MARKER = "KIT_MACHINE";

// Models of one process take distinct second octets; the pid spreads processes (test workers) apart.
let modelsCreated = 0;

/** The second octet for a new model's addresses: 127.<k>.<n>.x, k in 1..254, never 127.0.0.x. */
export function nextAddressBlock(): number {
  return 1 + ((process.pid * 7 + modelsCreated++ * 37) % 254);
}

/** The loopback address of the model's `seq`-th machine (1-based): 127.<block>.<hi>.<lo>, lo ≥ 1. */
export function machineAddress(block: number, seq: number): string {
  if (!Number.isInteger(seq) || seq < 1 || seq > 254 * 255)
    throw new Error(`machine number ${seq} out of range`);
  return `127.${block}.${Math.floor((seq - 1) / 254)}.${((seq - 1) % 254) + 1}`;
}

/** `<app>-<n>` for unit `<app>/<n>`: the machine dir's name. */
export const machineName = (unit: string): string => unit.replace("/", "-");

/** The marker's value for a unit: `<model id>:<unit>`. */
export const markerValue = (modelId: string, unit: string): string => `${modelId}:${unit}`;

const MAX_ENVIRON = 1 << 20;

/**
 * Pids of this user's processes whose environment carries the marker: exactly `KIT_MACHINE=<value>`, or, with
 * `prefix`, any value starting with it. Reads /proc (Linux); processes that vanish meanwhile are skipped.
 */
export async function markedProcesses(match: { value?: string; prefix?: string }): Promise<number[]> {
  const uid = process.getuid?.();
  let entries: string[];
  try {
    entries = await readdir("/proc");
  } catch {
    return [];
  }
  const found: number[] = [];
  await Promise.all(
    entries
      .filter((e) => /^\d+$/.test(e) && Number(e) !== process.pid)
      .map(async (e) => {
        try {
          if (uid !== undefined && (await stat(join("/proc", e))).uid !== uid) return;
          const environ = await readFile(join("/proc", e, "environ"));
          for (const entry of environ.subarray(0, MAX_ENVIRON).toString("utf8").split("\0")) {
            if (!entry.startsWith(`${MACHINE_MARKER}=`)) continue;
            const value = entry.slice(MACHINE_MARKER.length + 1);
            if (value === match.value || (match.prefix !== undefined && value.startsWith(match.prefix))) {
              found.push(Number(e));
            }
            return;
          }
        } catch {
          // gone, or not ours to read
        }
      }),
  );
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether a pid is still a running process (a zombie counts as gone). */
export async function running(pid: number): Promise<boolean> {
  if (!alive(pid)) return false;
  try {
    const text = await readFile(`/proc/${pid}/stat`, "utf8");
    return text.slice(text.lastIndexOf(")") + 2, text.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/**
 * Stops every marked process: SIGTERM, then SIGKILL to those still running after `graceMs`. Processes that
 * appear meanwhile (a dying workload's child) are caught by a second scan.
 */
export async function killMarked(
  match: { value?: string; prefix?: string },
  graceMs = 5000,
): Promise<number[]> {
  const killed = new Set<number>();
  for (let round = 0; round < 3; round++) {
    const pids = await markedProcesses(match);
    const live: number[] = [];
    for (const pid of pids) if (await running(pid)) live.push(pid);
    if (!live.length) break;
    for (const pid of live) {
      killed.add(pid);
      try {
        process.kill(pid, "SIGTERM");
      } catch {
        // already gone
      }
    }
    const deadline = Date.now() + graceMs;
    for (;;) {
      const left: number[] = [];
      for (const pid of live) if (await running(pid)) left.push(pid);
      if (!left.length) break;
      if (Date.now() >= deadline) {
        for (const pid of left) {
          try {
            process.kill(pid, "SIGKILL");
          } catch {
            // already gone
          }
        }
        break;
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  return [...killed];
}
