import { afterEach, describe, expect, it } from "vitest";
import { ANY_ADDRESS, bindAddress } from "../../../charm/src/charm.js";
import { systemdUnit, workloadArgv } from "../../../charm/src/service.js";
import { type Hook, JujuError } from "../../../lib/juju/index.js";
import { on } from "../../../lib/testing/index.js";
import { Harness, integratedLeader } from "./support.js";

/**
 * The workload's plugin server listens on the unit's bind address (network-get connect-client), the address
 * the leader publishes in plugin-url: `--host` in its argv, so a new address restarts it.
 */

let harness: Harness | undefined;
afterEach(() => harness?.close());

const ensured = (h: Harness) => h.supervisor.calls.filter((c) => c.op === "ensure").map((c) => c.spec);

describe("the workload's bind address", () => {
  it("is network-get's bind address, passed as --host, and a new address restarts the service", async () => {
    const { h, base } = integratedLeader();
    harness = h;
    const out = await h.ctx.run(on.install(), { ...base, address: "127.0.3.4" });
    expect(out.address).toBe("127.0.3.4");
    const [first] = ensured(h);
    expect(first!.host).toBe("127.0.3.4");
    expect(workloadArgv(first!).slice(-2)).toEqual(["--host", "127.0.3.4"]);
    expect(systemdUnit(first!)).toContain(" --host 127.0.3.4\n");

    // Routine hooks keep the last answer (Juju runs config-changed when the unit's addresses change).
    await h.ctx.run(on.updateStatus(), { ...out, address: "127.0.9.9" });
    expect(ensured(h)[1]!.host).toBe("127.0.3.4");

    // config-changed asks again: the service restarts on the new address.
    await h.ctx.run(on.configChanged(), { ...out, address: "127.0.5.6" });
    expect(ensured(h)[2]!.host).toBe("127.0.5.6");
    expect(await h.supervisor.ensure(ensured(h)[2]!)).toBe("unchanged");
    expect(await h.supervisor.ensure({ ...ensured(h)[2]!, host: "127.0.3.4" })).toBe("restarted");
  });

  it("the readiness probe asks the address the server listens on", async () => {
    const { h, base } = integratedLeader();
    harness = h;
    const hosts: string[] = [];
    const probing = new Harness({
      stateDir: h.stateDir,
      probePlugin: async (_port, host) => {
        hosts.push(host);
        return { status: 0 };
      },
    });
    try {
      await probing.ctx.run(on.relationChanged(1), { ...base, address: "127.0.7.8" });
    } finally {
      probing.close();
    }
    expect(hosts).toEqual(["127.0.7.8"]);
  });

  it("is every address (0.0.0.0) when network-get fails or names none", async () => {
    const hook = (networkGet: () => Promise<unknown>) => ({ tools: { networkGet } }) as unknown as Hook;
    const failing = hook(async () => {
      throw new JujuError('no network config found for binding "connect-client"');
    });
    expect(await bindAddress(failing, "connect-client")).toBe(ANY_ADDRESS);
    const empty = hook(async () => ({ "bind-addresses": [], "egress-subnets": [], "ingress-addresses": [] }));
    expect(await bindAddress(empty, "connect-client")).toBe(ANY_ADDRESS);
    // Anything else is a bug, not a network answer: it fails the hook.
    const broken = hook(async () => {
      throw new TypeError("boom");
    });
    await expect(bindAddress(broken, "connect-client")).rejects.toThrow("boom");
  });
});
