import {
  type Hook,
  NotFoundError,
  PermissionDeniedError,
  type Relation,
  type SecretContent,
  sameSecret,
} from "../juju/index.js";
import type { KafkaConnectClientOptions } from "../kafka-connect/index.js";
import { SeenStore, stored } from "./seen.js";
import {
  decodeProviderBag,
  decodeRequirerBag,
  encodeRequirerBag,
  formatProblems,
  type Problem,
  type ProviderData,
  type ProviderStatus,
} from "./wire/decode.js";
import { DEFAULT_REQUESTED_SECRETS } from "./wire/keys.js";

/** Fields of the tls secret that are not confidential (kept out of log and status redaction). */
export const TLS_PUBLIC_KEYS: readonly string[] = ["tls", "tls-ca"];
/** The REST user's name is not confidential either; redacting "relation-4" would mangle ordinary text. */
export const USER_PUBLIC_KEYS: readonly string[] = ["username"];

/** The endpoint name Canonical's charms use on both sides. */
export const DEFAULT_ENDPOINT = "connect-client";

export interface RequirerOptions {
  /** The charm's connect_client endpoint (default `connect-client`). */
  readonly endpoint?: string;
  /** Where this charm serves its plugin tarball, or NOT_REQUIRED (MirrorMaker-style integrators). */
  readonly pluginUrl: string;
  /** Secret fields to request besides username, password, tls and tls-ca. */
  readonly extraSecrets?: readonly string[];
}

/** What an integrator needs to talk to Kafka Connect. */
export interface Connection {
  readonly relationId: string;
  readonly endpoints: readonly string[];
  readonly username: string;
  readonly password: string;
  /** The CA chain to verify https endpoints with; absent when the provider runs without TLS. */
  readonly tlsCa?: string;
}

/**
 * Why there is no connection yet. `waiting-*` and `secret-not-granted` settle by themselves as the provider
 * progresses; `invalid-provider-data` and `secret-invalid` need someone to fix the provider.
 */
export type NotReadyCode =
  | "no-relation"
  | "waiting-for-provider"
  | "invalid-provider-data"
  | "secret-not-granted"
  | "secret-invalid"
  | "relation-broken";

export type ConnectionState =
  | { readonly ready: true; readonly connection: Connection; readonly warnings: readonly string[] }
  | {
      readonly ready: false;
      readonly code: NotReadyCode;
      /** One line, fit for a Juju status message; never holds a secret value. */
      readonly reason: string;
      readonly relationId?: string;
    };

/**
 * The REST client options a connection calls for: every endpoint (the client fails over between them), basic
 * auth, and the CA to verify https with. `new KafkaConnectClient(restClientOptions(state.connection))`.
 */
export function restClientOptions(
  c: Connection,
): Pick<KafkaConnectClientOptions, "endpoints" | "auth" | "tlsCa"> {
  return {
    endpoints: [...c.endpoints],
    auth: { username: c.username, password: c.password },
    ...(c.tlsCa ? { tlsCa: c.tlsCa } : {}),
  };
}

/** True when a person has to act (Juju "blocked"); false when waiting is enough. */
export function needsIntervention(state: ConnectionState): boolean {
  return !state.ready && (state.code === "invalid-provider-data" || state.code === "secret-invalid");
}

export type RequirerEvent =
  | { readonly kind: "integration-created"; readonly relationId: string; readonly connection: Connection }
  | {
      readonly kind: "endpoints-changed";
      readonly relationId: string;
      readonly endpoints: readonly string[];
      readonly previous: readonly string[];
    }
  | {
      readonly kind: "credentials-rotated";
      readonly relationId: string;
      readonly connection: Connection;
      /** Which secret moved: the credentials (`user`) or the CA chain (`tls`). */
      readonly secret: "user" | "tls";
    }
  | { readonly kind: "status-raised"; readonly relationId: string; readonly status: ProviderStatus }
  | { readonly kind: "status-resolved"; readonly relationId: string; readonly status: ProviderStatus }
  | { readonly kind: "integration-broken"; readonly relationId: string };

export type RequirerPublishResult =
  | {
      readonly ok: true /** Relations whose databag this call changed. */;
      readonly updated: readonly string[];
    }
  | { readonly ok: false; readonly problems: readonly Problem[]; readonly message: string };

/** What this unit last saw of a relation (kept in the unit's state store; never a secret value). */
interface Seen {
  created: boolean;
  endpoints: string[];
  secretUser?: string;
  secretTls?: string;
  status: ProviderStatus[];
}

/**
 * The integrator's side of connect_client. It does not register callbacks: the charm calls `publish()` (on any
 * hook; only the leader writes, and only what differs), asks `events()` what the current hook means, and asks
 * `connection()` for a ready connection or the precise reason there is none.
 */
export class ConnectClientRequirer {
  readonly endpoint: string;
  private readonly seen: SeenStore<Seen>;

  constructor(
    private readonly hook: Hook,
    private readonly options: RequirerOptions,
  ) {
    this.endpoint = options.endpoint ?? DEFAULT_ENDPOINT;
    this.seen = new SeenStore(hook, `${this.endpoint}.requirer`, normalizeSeen);
  }

  /** The databag this charm publishes, checked against the interface before anything is written. */
  desiredDatabag(): { ok: true; bag: Record<string, string> } | { ok: false; problems: Problem[] } {
    const requestedSecrets = [
      ...new Set([...DEFAULT_REQUESTED_SECRETS, ...(this.options.extraSecrets ?? [])]),
    ];
    const bag = encodeRequirerBag({ pluginUrl: this.options.pluginUrl, requestedSecrets });
    const decoded = decodeRequirerBag(bag);
    return decoded.ok ? { ok: true, bag } : { ok: false, problems: decoded.problems };
  }

  /**
   * Leader: writes `plugin-url` and `requested-secrets` to every connect_client relation where they differ
   * (so a changed plugin URL reaches the provider). Other units have nothing to write. Invalid options are
   * returned, not thrown, so the charm can say what to fix in its status.
   */
  async publish(): Promise<RequirerPublishResult> {
    const desired = this.desiredDatabag();
    if (!desired.ok) {
      return { ok: false, problems: desired.problems, message: formatProblems(desired.problems) };
    }
    if (!(await this.hook.isLeader())) return { ok: true, updated: [] };
    const updated: string[] = [];
    for (const relation of await this.liveRelations()) {
      const current = await relation.localApp.read();
      const diff = Object.fromEntries(Object.entries(desired.bag).filter(([k, v]) => current[k] !== v));
      if (Object.keys(diff).length === 0) continue;
      await relation.localApp.set(diff);
      updated.push(relation.id);
    }
    return { ok: true, updated };
  }

  /** The connection over one relation (default: the first one on the endpoint). */
  async connection(relationId?: string): Promise<ConnectionState> {
    const relation = relationId ? this.hook.relation(relationId) : (await this.liveRelations())[0];
    if (!relation) {
      return {
        ready: false,
        code: "no-relation",
        reason: `no ${this.endpoint} relation: integrate this application with a Kafka Connect charm`,
      };
    }
    return this.connectionOf(relation);
  }

  /** Every relation's connection state, in relation order. */
  async connections(): Promise<ConnectionState[]> {
    return Promise.all((await this.liveRelations()).map((r) => this.connectionOf(r)));
  }

  /**
   * What the current hook means for connect_client, in order; what was seen is recorded in the unit's state
   * store (committed with the hook, so a failed hook sees the same events again on retry).
   */
  async events(): Promise<RequirerEvent[]> {
    const e = this.hook.event;
    if ("relationId" in e && e.endpoint === this.endpoint) {
      if (e.kind === "relation-broken") {
        await this.seen.delete(e.relationId);
        return [{ kind: "integration-broken", relationId: e.relationId }];
      }
      return this.observe(this.hook.relation(e.relationId));
    }
    if (e.kind === "secret-changed") return this.rotated(e.secretId);
    return [];
  }

  private async liveRelations(): Promise<Relation[]> {
    const e = this.hook.event;
    const broken = e.kind === "relation-broken" && e.endpoint === this.endpoint ? e.relationId : undefined;
    return (await this.hook.relations(this.endpoint)).filter((r) => r.id !== broken);
  }

  private async providerData(
    relation: Relation,
  ): Promise<{ ok: true; data: ProviderData; warnings: string[] } | { ok: false; problems: Problem[] }> {
    const bag = await relation.remoteAppData();
    // Liberal: what a provider plainly means is read, with a warning (see DecodeOptions.liberal).
    const decoded = decodeProviderBag(bag, { partial: true, liberal: true });
    if (decoded.ok) return { ok: true, data: decoded.value, warnings: decoded.warnings };
    // The optional status list says nothing about the connection: a malformed one is reported and ignored, so
    // it cannot take a working integration down.
    if (decoded.problems.every((p) => p.key === "status")) {
      const { status: _ignored, ...rest } = bag;
      const again = decodeProviderBag(rest, { partial: true, liberal: true });
      if (again.ok) {
        const ignored = decoded.problems.map((p) => `ignored the provider's status: ${p.message}`);
        return { ok: true, data: again.value, warnings: [...again.warnings, ...ignored] };
      }
    }
    return { ok: false, problems: decoded.problems };
  }

  private async connectionOf(relation: Relation): Promise<ConnectionState> {
    const e = this.hook.event;
    const relationId = relation.id;
    if (e.kind === "relation-broken" && e.relationId === relationId) {
      return {
        ready: false,
        code: "relation-broken",
        reason: `relation ${relationId} is being removed`,
        relationId,
      };
    }
    const provider = await this.providerData(relation);
    if (!provider.ok) {
      return {
        ready: false,
        code: "invalid-provider-data",
        reason: `the Kafka Connect provider on ${relationId} published invalid data: ${formatProblems(provider.problems)}`,
        relationId,
      };
    }
    const { data, warnings } = provider;
    const waiting = (what: string): ConnectionState => ({
      ready: false,
      code: "waiting-for-provider",
      reason: `waiting for the Kafka Connect provider to publish ${what} on ${relationId}`,
      relationId,
    });
    if (!data.endpoints?.length) return waiting("endpoints");

    let username = data.username;
    let password = data.password;
    if (data.secretUser) {
      const read = await this.readSecret(relation, "secret-user", data.secretUser);
      if (!read.ok) return read.state;
      const user = read.content;
      username = user.username;
      password = user.password;
      const missing = ["username", "password"].filter((k) => !user[k]);
      if (missing.length) {
        return {
          ready: false,
          code: "secret-invalid",
          reason: `secret-user ${data.secretUser} has no ${missing.join(" or ")}; the provider must store both username and password in it`,
          relationId,
        };
      }
    }
    if (!username || !password) return waiting("credentials (secret-user)");

    let tlsCa: string | undefined;
    if (data.secretTls) {
      const read = await this.readSecret(relation, "secret-tls", data.secretTls);
      if (!read.ok) return read.state;
      const tls = read.content;
      if (tls.tls === "enabled") {
        tlsCa = tls["tls-ca"];
        if (!tlsCa) {
          return {
            ready: false,
            code: "secret-invalid",
            reason: `secret-tls ${data.secretTls} says tls is enabled but has no tls-ca; the provider must share its CA chain`,
            relationId,
          };
        }
      }
    } else if (data.tls === "enabled") {
      // A legacy provider (we requested no secrets) writes the tls flag and CA chain in cleartext.
      tlsCa = data.tlsCa;
      if (!tlsCa) {
        return {
          ready: false,
          code: "invalid-provider-data",
          reason: `the Kafka Connect provider on ${relationId} says tls is enabled but published no tls-ca; it must share its CA chain`,
          relationId,
        };
      }
    }
    return {
      ready: true,
      connection: { relationId, endpoints: data.endpoints, username, password, ...(tlsCa ? { tlsCa } : {}) },
      warnings,
    };
  }

  /** Reads a provider secret, always at its latest revision (rotation is followed, not pinned). */
  private async readSecret(
    relation: Relation,
    key: "secret-user" | "secret-tls",
    uri: string,
  ): Promise<{ ok: true; content: SecretContent } | { ok: false; state: ConnectionState }> {
    try {
      // The CA chain and the tls flag are public; only credentials are registered for redaction.
      const publicKeys = key === "secret-tls" ? TLS_PUBLIC_KEYS : USER_PUBLIC_KEYS;
      return { ok: true, content: await this.hook.secrets.get({ uri }, { refresh: true, publicKeys }) };
    } catch (err) {
      if (err instanceof PermissionDeniedError || err instanceof NotFoundError) {
        const reason = `${key} ${uri} is not readable yet: the provider has not granted it to this application over ${relation.id}`;
        return {
          ok: false,
          state: { ready: false, code: "secret-not-granted", reason, relationId: relation.id },
        };
      }
      throw err;
    }
  }

  private async observe(relation: Relation): Promise<RequirerEvent[]> {
    const relationId = relation.id;
    const prev: Seen = (await this.seen.get(relationId)) ?? { created: false, endpoints: [], status: [] };
    const next: Seen = { ...prev };
    const events: RequirerEvent[] = [];

    const provider = await this.providerData(relation);
    const state = await this.connectionOf(relation);
    if (state.ready && provider.ok) {
      const { connection } = state;
      if (!prev.created) {
        events.push({ kind: "integration-created", relationId, connection });
      } else {
        if (!sameList(prev.endpoints, connection.endpoints)) {
          events.push({
            kind: "endpoints-changed",
            relationId,
            endpoints: connection.endpoints,
            previous: prev.endpoints,
          });
        }
        // The provider replaced a secret (not a new revision of the same one): credentials changed too.
        if (!sameUri(prev.secretUser, provider.data.secretUser)) {
          events.push({ kind: "credentials-rotated", relationId, connection, secret: "user" });
        } else if (!sameUri(prev.secretTls, provider.data.secretTls)) {
          events.push({ kind: "credentials-rotated", relationId, connection, secret: "tls" });
        }
      }
      next.created = true;
      next.endpoints = [...connection.endpoints];
      setOptional(next, "secretUser", provider.data.secretUser);
      setOptional(next, "secretTls", provider.data.secretTls);
    }
    if (provider.ok) {
      const now = provider.data.status ?? [];
      // By code, both ways (as the Python library does): a changed message is not a second raise.
      for (const s of now) {
        if (!prev.status.some((p) => p.code === s.code))
          events.push({ kind: "status-raised", relationId, status: s });
      }
      for (const p of prev.status) {
        if (!now.some((s) => s.code === p.code))
          events.push({ kind: "status-resolved", relationId, status: p });
      }
      next.status = now;
    }
    await this.seen.set(relationId, next);
    return events;
  }

  /** secret-changed: which relation's credentials (or CA) moved, with the new connection read at refresh. */
  private async rotated(secretId: string): Promise<RequirerEvent[]> {
    const events: RequirerEvent[] = [];
    for (const relation of await this.liveRelations()) {
      const provider = await this.providerData(relation);
      if (!provider.ok) continue;
      const which = sameUri(provider.data.secretUser, secretId)
        ? "user"
        : sameUri(provider.data.secretTls, secretId)
          ? "tls"
          : undefined;
      if (!which) continue;
      const state = await this.connectionOf(relation);
      if (state.ready) {
        events.push({
          kind: "credentials-rotated",
          relationId: relation.id,
          connection: state.connection,
          secret: which,
        });
      }
    }
    return events;
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function sameUri(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return sameSecret(a, b);
}

function setOptional<K extends "secretUser" | "secretTls">(seen: Seen, key: K, value: string | undefined) {
  if (value === undefined) delete seen[key];
  else seen[key] = value;
}

function normalizeSeen(v: unknown): Seen | undefined {
  const o = stored.object(v);
  if (!o) return undefined;
  const status = Array.isArray(o.status)
    ? o.status.filter(
        (x): x is ProviderStatus =>
          typeof x === "object" && x !== null && typeof (x as ProviderStatus).code === "number",
      )
    : [];
  const seen: Seen = { created: o.created === true, endpoints: stored.strings(o.endpoints) ?? [], status };
  setOptional(seen, "secretUser", stored.string(o.secretUser));
  setOptional(seen, "secretTls", stored.string(o.secretTls));
  return seen;
}
