import { describe, expect, it } from "vitest";
import type { DesiredConnector } from "../../../charm/common/desired-state.js";
import { Masker } from "../../../charm/workload/log.js";
import { baseDesired } from "./helpers.js";

const withSecrets = (generation: number, password: string, token: string) =>
  baseDesired({
    generation,
    kafkaConnect: { relation: 1, endpoints: ["http://kc:8083"], username: "u", password },
    connectors: [
      {
        declared: "orders",
        name: "orders_kci_r1_x",
        config: { "api.token": token, batch: "5" },
        state: "running",
        declarationHash: "h",
        secretKeys: ["api.token"],
      } satisfies DesiredConnector,
    ],
  });

describe("Masker: the secrets of the current desired state and the one before", () => {
  it("masks the current and the previous secrets; older ones are forgotten, so it cannot grow", () => {
    const masker = new Masker();
    masker.learn(withSecrets(1, "password-one", "token-one"));
    masker.learn(withSecrets(2, "password-two", "token-two"));
    // A log line quoting the previous password (a worker still answering with it) is masked.
    expect(masker.mask("password-one token-one password-two token-two")).not.toMatch(/one|two/);
    masker.learn(withSecrets(3, "password-three", "token-three"));
    expect(masker.mask("password-two token-two")).not.toMatch(/two/);
    expect(masker.mask("password-three token-three")).not.toMatch(/three/);
    // Two rotations ago: no longer held.
    expect(masker.mask("password-one token-one")).toBe("password-one token-one");
    expect(masker.size).toBe(4);
  });

  it("a desired state with the same secrets (a new generation, another connector count) rotates nothing", () => {
    const masker = new Masker();
    masker.learn(withSecrets(1, "password-one", "token-one"));
    masker.learn(withSecrets(2, "password-two", "token-two"));
    for (let g = 3; g < 50; g++) masker.learn(withSecrets(g, "password-two", "token-two"));
    expect(masker.mask("password-one")).not.toContain("one");
    expect(masker.size).toBe(4);
  });

  it("1000 rotations hold two generations of secrets, not 2000", () => {
    const masker = new Masker();
    for (let g = 1; g <= 1000; g++) masker.learn(withSecrets(g, `password-${g}`, `token-${g}`));
    expect(masker.size).toBe(4);
    expect(masker.mask("password-999 password-1000")).not.toMatch(/\d/);
    expect(masker.mask("password-998")).toBe("password-998");
  });
});
