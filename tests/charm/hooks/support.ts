import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { DesiredState } from "../../../charm/common/desired-state.js";
import { DESIRED_FILE, SNAPSHOT_FILE } from "../../../charm/common/files.js";
import type { StatusSnapshot } from "../../../charm/common/snapshot.js";
import { type CharmDeps, createCharm } from "../../../charm/src/charm.js";
import { expectedReprDigest, type ProbeResult } from "../../../charm/src/plugin.js";
import { RecordingSupervisor } from "../../../charm/src/service.js";
import {
  Context,
  loadCharmMeta,
  type RelationState,
  type SecretState,
  type State,
  secretId,
} from "../../../lib/testing/index.js";

/** The repository root is the charm project. */
export const ROOT = resolve(import.meta.dirname, "../../..");
export const meta = loadCharmMeta(ROOT);
export const APP = "kafka-connect-integrator";
export const PROVIDER = "kafka-connect";

/** One charm under test: a temp state dir, the recording supervisor, a probe the test answers. */
export class Harness {
  readonly stateDir = mkdtempSync(join(tmpdir(), "kci-hooks-"));
  readonly supervisor = new RecordingSupervisor();
  probe: ProbeResult = { status: 0 };
  probes = 0;
  clock = Date.UTC(2026, 0, 1);
  readonly ctx: Context<typeof meta>;

  constructor(extra: Partial<CharmDeps> = {}) {
    this.ctx = new Context(
      createCharm({
        supervisor: this.supervisor,
        stateDir: this.stateDir,
        probePlugin: async () => {
          this.probes++;
          return this.probe;
        },
        now: () => this.clock,
        ...extra,
      }),
      meta,
    );
  }

  /** The plugin server answers 200 with the Repr-Digest of this sha512. */
  serves(sha512: string): void {
    this.probe = { status: 200, reprDigest: expectedReprDigest(sha512) };
  }

  desired(): DesiredState | undefined {
    try {
      return JSON.parse(readFileSync(join(this.stateDir, DESIRED_FILE), "utf8")) as DesiredState;
    } catch {
      return undefined;
    }
  }

  writeSnapshot(snapshot: Partial<StatusSnapshot> = {}): void {
    const full: StatusSnapshot = {
      version: 1,
      writtenAt: new Date(this.clock).toISOString(),
      generation: this.desired()?.generation ?? 0,
      acting: true,
      pluginServer: { listening: true, port: 8080, downloads: 0, bytesServed: 0 },
      connectors: [],
      deleted: [],
      history: {},
      ...snapshot,
    };
    writeFileSync(join(this.stateDir, SNAPSHOT_FILE), JSON.stringify(full));
  }

  /** Tool names called by the last hook, in order. */
  tools(): string[] {
    return (this.ctx.last?.toolCalls ?? []).map((c) => (c as { tool: string }).tool);
  }

  close(): void {
    rmSync(this.stateDir, { recursive: true, force: true });
  }
}

/** A plugin tarball stand-in: the charm only copies and hashes it. */
export function pluginFile(
  dir: string,
  content: Buffer = randomBytes(64 * 1024),
  name = "plugin.tar",
): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

export const USER_SECRET = secretId();
export const DB_SECRET = secretId();

/** The provider's credentials secret, granted over the relation. */
export const providerSecret = (password = "kc-password-1"): SecretState => ({
  id: USER_SECRET,
  from: { app: PROVIDER, relationId: 1 },
  revisions: { 1: { username: "relation-1", password } },
});

/**
 * A user secret granted to the application. The emulator models a grant as coming over a relation; for the
 * charm it reads the same (secret-get by id, latest revision with --refresh).
 */
export const dbSecret = (
  revisions: Record<number, Record<string, string>> = { 1: { password: "db-pass-1" } },
) => ({ id: DB_SECRET, from: { app: PROVIDER, relationId: 1 }, revisions, tracked: 1 }) satisfies SecretState;

export const connectClient = (extra: Partial<RelationState> = {}): RelationState => ({
  id: 1,
  endpoint: "connect-client",
  remoteApp: PROVIDER,
  remoteAppData: {
    endpoints: "http://10.0.0.9:8083,http://10.0.0.10:8083",
    "secret-user": `secret:${USER_SECRET}`,
  },
  ...extra,
});

export const peers = (localAppData: Record<string, string> = {}): RelationState => ({
  id: 2,
  endpoint: "cluster",
  localAppData,
});

export const JDBC_YAML = `
orders:
  class: io.aiven.connect.jdbc.JdbcSinkConnector
  tasks-max: 2
  config:
    topics: orders
    connection.url: jdbc:postgresql://db:5432/shop
    connection.password: \${secret:${DB_SECRET}/password}
audit:
  class: io.aiven.connect.jdbc.JdbcSourceConnector
  state: paused
  config:
    mode: incrementing
`;

/**
 * A leader with a plugin resource, the JDBC declaration, a connect-client relation and peers, every secret
 * granted: the starting point most hook tests change one thing of. The caller closes `h`.
 */
export function integratedLeader(): { h: Harness; plugin: string; sha: string; base: State } {
  const h = new Harness();
  const content = Buffer.from("a plugin tarball, as far as the hooks care\n".repeat(100));
  const plugin = pluginFile(h.stateDir, content, "resource.tar");
  const base: State = {
    leader: true,
    config: { connectors: JDBC_YAML },
    resources: { "connect-plugin": plugin },
    relations: [connectClient(), peers()],
    secrets: [providerSecret(), dbSecret()],
  };
  return { h, plugin, sha: createHash("sha512").update(content).digest("hex"), base };
}
