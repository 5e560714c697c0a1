import { exec, execJson } from "./exec.js";
import type { ToolRunner } from "./runner.js";

/** A port spec as Juju writes it: `8080/tcp`, `8000-8010/udp` or `icmp`. */
export type PortSpec = string;

const PORT = /^(?:icmp|(\d{1,5})(?:-(\d{1,5}))?\/(tcp|udp))$/;

/** Formats and checks a port spec before it reaches Juju. */
export function portSpec(port: number | string, protocol: "tcp" | "udp" = "tcp"): PortSpec {
  const spec = typeof port === "number" ? `${port}/${protocol}` : port;
  const m = PORT.exec(spec);
  const n = (s: string | undefined) => (s === undefined ? 1 : Number(s));
  if (!m || n(m[1]) < 1 || n(m[1]) > 65535 || n(m[2]) < 1 || n(m[2]) > 65535 || n(m[2] ?? m[1]) < n(m[1])) {
    throw new RangeError(`"${spec}" is not a port like 8080/tcp, 8000-8010/udp or icmp`);
  }
  return spec;
}

export async function openPort(runner: ToolRunner, port: PortSpec): Promise<void> {
  await exec(runner, "open-port", [portSpec(port)]);
}

export async function closePort(runner: ToolRunner, port: PortSpec): Promise<void> {
  await exec(runner, "close-port", [portSpec(port)]);
}

/** `opened-ports` → `["8080/tcp", …]`. */
export async function openedPorts(runner: ToolRunner): Promise<PortSpec[]> {
  return (await execJson<PortSpec[] | null>(runner, "opened-ports", [])) ?? [];
}

export interface NetworkInfo {
  "bind-addresses": {
    "mac-address"?: string;
    "interface-name": string;
    addresses: { hostname?: string; value: string; cidr: string; address?: string }[];
  }[];
  "egress-subnets": string[];
  "ingress-addresses": string[];
}

/** `network-get <binding>` → addresses to bind to and to advertise. */
export async function networkGet(runner: ToolRunner, binding: string): Promise<NetworkInfo> {
  return execJson<NetworkInfo>(runner, "network-get", [binding]);
}

/** `resource-get <name>` → the local path of the attached resource file. */
export async function resourceGet(runner: ToolRunner, name: string): Promise<string> {
  return (await exec(runner, "resource-get", [name])).trim();
}
