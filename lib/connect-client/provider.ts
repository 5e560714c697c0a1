import {
  type Hook,
  NotFoundError,
  NotLeaderError,
  type Relation,
  type SecretContent,
} from "../juju/index.js";
import { DEFAULT_ENDPOINT, TLS_PUBLIC_KEYS, USER_PUBLIC_KEYS } from "./requirer.js";
import { type SecretGroup, secretFieldKey, secretLabel } from "./secret-groups.js";
import { SeenStore, stored } from "./seen.js";
import {
  decodeProviderBag,
  decodeRequirerBag,
  encodeProviderBag,
  formatProblems,
  type Problem,
  type ProviderStatus,
} from "./wire/decode.js";
import { NOT_REQUIRED } from "./wire/keys.js";
import { warn } from "./wire/messages.js";

export interface ProviderOptions {
  /** The charm's connect_client endpoint (default `connect-client`). */
  readonly endpoint?: string;
}

/** A requirer's ask, decoded and checked. */
export interface IntegrationRequest {
  readonly relationId: string;
  readonly remoteApp: string;
  /** As the requirer wrote it (a `#sha512=` fragment, if any, is for the plugin fetcher). */
  readonly pluginUrl: string;
  /** False for NOT-REQUIRED (MirrorMaker-style integrators): nothing to download. */
  readonly pluginRequired: boolean;
  /** Undefined for a legacy requirer that requested no secrets (it gets cleartext credentials). */
  readonly requestedSecrets?: readonly string[];
  readonly warnings: readonly string[];
}

export type RequestState =
  | { readonly ok: true; readonly request: IntegrationRequest }
  | {
      readonly ok: false;
      readonly code: "waiting-for-plugin-url" | "invalid-requirer-data" | "relation-broken";
      /** One line, fit for a Juju status message. */
      readonly reason: string;
      readonly relationId: string;
    };

export type ProviderEvent =
  | { readonly kind: "integration-requested"; readonly request: IntegrationRequest }
  | { readonly kind: "plugin-url-changed"; readonly request: IntegrationRequest; readonly previous: string }
  | { readonly kind: "integration-broken"; readonly relationId: string };

export interface Credentials {
  /** REST URLs of every worker, with scheme. */
  readonly endpoints: readonly string[];
  readonly username: string;
  readonly password: string;
  /** The CA chain of the workers' certificates, when they serve https. */
  readonly tlsCa?: string;
}

export type ProviderPublishResult =
  | { readonly published: true; readonly warnings: readonly string[] }
  | { readonly published: false; readonly reason: string; readonly problems?: readonly Problem[] };

interface Seen {
  pluginUrl?: string;
}

/**
 * The Kafka Connect side of connect_client. Like the requirer, it is called, never calls back: `events()` says
 * what the hook means, `request()` what a requirer asked for, `publish()` hands over endpoints and credentials
 * (in secrets granted over the relation), and `cleanup()` takes back what was handed over.
 */
export class ConnectClientProvider {
  readonly endpoint: string;
  private readonly seen: SeenStore<Seen>;

  constructor(
    private readonly hook: Hook,
    options: ProviderOptions = {},
  ) {
    this.endpoint = options.endpoint ?? DEFAULT_ENDPOINT;
    this.seen = new SeenStore(hook, `${this.endpoint}.provider`, (v) => {
      const pluginUrl = stored.string(stored.object(v)?.pluginUrl);
      return pluginUrl === undefined ? {} : { pluginUrl };
    });
  }

  /**
   * What the current hook means: `integration-requested` when a relation's plugin-url is first seen by this
   * unit (every unit installs the plugin), `plugin-url-changed` after that, `integration-broken` on removal.
   */
  async events(): Promise<ProviderEvent[]> {
    const e = this.hook.event;
    if (!("relationId" in e) || e.endpoint !== this.endpoint) return [];
    if (e.kind === "relation-broken") {
      await this.seen.delete(e.relationId);
      return [{ kind: "integration-broken", relationId: e.relationId }];
    }
    const state = await this.request(e.relationId);
    if (!state.ok) return [];
    const prev = (await this.seen.get(e.relationId)) ?? {};
    const { request } = state;
    await this.seen.set(e.relationId, { pluginUrl: request.pluginUrl });
    if (prev.pluginUrl === undefined) return [{ kind: "integration-requested", request }];
    if (prev.pluginUrl !== request.pluginUrl) {
      return [{ kind: "plugin-url-changed", request, previous: prev.pluginUrl }];
    }
    return [];
  }

  /** The requirer's ask over one relation, or why there is none (yet). */
  async request(relationId: string): Promise<RequestState> {
    const e = this.hook.event;
    if (e.kind === "relation-broken" && e.relationId === relationId) {
      return {
        ok: false,
        code: "relation-broken",
        reason: `relation ${relationId} is being removed`,
        relationId,
      };
    }
    const relation = this.hook.relation(relationId);
    // Liberal: a legacy requirer without requested-secrets is served (in cleartext), with a warning.
    const decoded = decodeRequirerBag(await relation.remoteAppData(), { partial: true, liberal: true });
    if (!decoded.ok) {
      return {
        ok: false,
        code: "invalid-requirer-data",
        reason: `the integrator on ${relationId} published invalid data: ${formatProblems(decoded.problems)}`,
        relationId,
      };
    }
    const { pluginUrl, requestedSecrets } = decoded.value;
    if (pluginUrl === undefined) {
      return {
        ok: false,
        code: "waiting-for-plugin-url",
        reason: `waiting for the integrator to publish plugin-url on ${relationId}`,
        relationId,
      };
    }
    return {
      ok: true,
      request: {
        relationId,
        remoteApp: await relation.remoteApp(),
        pluginUrl,
        pluginRequired: pluginUrl !== NOT_REQUIRED,
        ...(requestedSecrets ? { requestedSecrets } : {}),
        warnings: requestedSecrets ? decoded.warnings : [...decoded.warnings, warn.noRequestedSecrets()],
      },
    };
  }

  /** Every live relation's request state. */
  async requests(): Promise<RequestState[]> {
    const e = this.hook.event;
    const relations = (await this.hook.relations(this.endpoint)).filter(
      (r) => !(e.kind === "relation-broken" && e.relationId === r.id),
    );
    return Promise.all(relations.map((r) => this.request(r.id)));
  }

  /**
   * Leader: publishes endpoints and credentials to one relation. Credentials go into app-owned secrets labelled
   * as the Python library labels them, granted to the requirer; unchanged content makes no new revision and
   * unchanged keys are not rewritten. Nothing is written before the requirer's plugin-url exists. A legacy
   * requirer (no requested-secrets) gets cleartext credentials, with a warning.
   */
  async publish(relationId: string, credentials: Credentials): Promise<ProviderPublishResult> {
    await this.requireLeader("publish credentials");
    const bagCheck = this.checkCredentials(credentials);
    if (bagCheck) return bagCheck;
    const state = await this.request(relationId);
    if (!state.ok) return { published: false, reason: state.reason };

    const relation = this.hook.relation(relationId);
    const current = await relation.localApp.read();
    const endpoints = credentials.endpoints.join(",");
    const warnings: string[] = [];
    let wanted: Record<string, string | null>;

    if (!state.request.requestedSecrets) {
      this.hook.redactor.addContent({ password: credentials.password });
      warnings.push(
        `${relationId}: the integrator requested no secrets (legacy); credentials were written to the databag in cleartext`,
      );
      await this.hook.log.warning(warnings[0]!);
      wanted = { endpoints, username: credentials.username, password: credentials.password };
      // As the Python provider does for a requirer without secrets: every field in cleartext, TLS included.
      if (credentials.tlsCa) Object.assign(wanted, { tls: "enabled", "tls-ca": credentials.tlsCa });
      else if (current.tls) wanted.tls = "disabled";
    } else {
      const user = await this.ensureSecret(relation, "user", {
        username: credentials.username,
        password: credentials.password,
      });
      wanted = {
        endpoints,
        [secretFieldKey("user")]: user,
        username: null,
        password: null,
        tls: null,
        "tls-ca": null,
      };
      if (credentials.tlsCa) {
        wanted[secretFieldKey("tls")] = await this.ensureSecret(relation, "tls", {
          tls: "enabled",
          "tls-ca": credentials.tlsCa,
        });
      } else if (current[secretFieldKey("tls")]) {
        // TLS was turned off: say so in the same secret, so the requirer's rotation event fires.
        wanted[secretFieldKey("tls")] = await this.ensureSecret(relation, "tls", { tls: "disabled" });
      }
    }
    const diff = Object.fromEntries(
      Object.entries(wanted).filter(([k, v]) => (v === null ? k in current : current[k] !== v)),
    );
    await relation.localApp.set(diff);
    return { published: true, warnings };
  }

  /** Leader: raises (or updates) a status the requirer sees in the `status` key. */
  async raiseStatus(relationId: string, status: ProviderStatus): Promise<void> {
    await this.editStatus(relationId, (list) => [...list.filter((s) => s.code !== status.code), status]);
  }

  /** Leader: resolves a status by code (a no-op when it is not raised). */
  async resolveStatus(relationId: string, code: number): Promise<void> {
    await this.editStatus(relationId, (list) => list.filter((s) => s.code !== code));
  }

  /**
   * Leader, on relation-broken: revokes and removes the secrets this side created for the relation. Grants on a
   * relation that is already gone are dropped by Juju, so a failing revoke is not an error here.
   */
  async cleanup(relationId: string): Promise<string[]> {
    await this.requireLeader("remove the relation's secrets");
    const relation = this.hook.relation(relationId);
    const removed: string[] = [];
    for (const group of ["user", "tls"] as const) {
      const uri = await this.ownedSecret(relation, group);
      if (!uri) continue;
      await this.hook.secrets.revoke(uri, relationId).catch(() => undefined);
      await this.hook.secrets.remove(uri);
      removed.push(uri);
    }
    return removed;
  }

  private checkCredentials(c: Credentials): ProviderPublishResult | undefined {
    const problems: Problem[] = [];
    if (!c.username)
      problems.push({ key: "username", message: "username is empty; give the REST user's name" });
    if (!c.password)
      problems.push({ key: "password", message: "password is empty; give the REST user's password" });
    const decoded = decodeProviderBag(encodeProviderBag({ endpoints: [...c.endpoints] }), { partial: true });
    if (!decoded.ok) problems.push(...decoded.problems);
    if (c.endpoints.length === 0) {
      problems.push({ key: "endpoints", message: "endpoints is empty; give at least one REST URL" });
    }
    return problems.length
      ? { published: false, reason: `cannot publish: ${formatProblems(problems)}`, problems }
      : undefined;
  }

  private async requireLeader(what: string): Promise<void> {
    if (await this.hook.isLeader()) return;
    throw new NotLeaderError(
      "connect-client",
      `this unit is not the leader (only the leader may ${what} on ${this.endpoint})`,
      1,
    );
  }

  private async ownedSecret(relation: Relation, group: SecretGroup): Promise<string | undefined> {
    try {
      return (await this.hook.secrets.info({ label: secretLabel(this.endpoint, relation.number, group) })).id;
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  /** Creates or updates the relation's secret for a group and grants it to the requirer; returns its URI. */
  private async ensureSecret(
    relation: Relation,
    group: SecretGroup,
    content: SecretContent,
  ): Promise<string> {
    const label = secretLabel(this.endpoint, relation.number, group);
    const publicKeys = group === "tls" ? TLS_PUBLIC_KEYS : USER_PUBLIC_KEYS;
    let uri = await this.ownedSecret(relation, group);
    if (!uri) {
      uri = await this.hook.secrets.add(content, {
        label,
        description: `connect_client ${group} secret for ${relation.id}`,
        publicKeys,
      });
    } else {
      const current = await this.hook.secrets.get({ uri }, { publicKeys });
      if (!sameContent(current, content)) await this.hook.secrets.set(uri, content, { publicKeys });
    }
    await this.hook.secrets.grant(uri, relation.id);
    return uri;
  }

  private async editStatus(relationId: string, edit: (list: ProviderStatus[]) => ProviderStatus[]) {
    await this.requireLeader("set the relation status");
    const relation = this.hook.relation(relationId);
    const current = await relation.localApp.read();
    const decoded = decodeProviderBag({ status: current.status ?? "[]" }, { partial: true, liberal: true });
    const list = decoded.ok ? (decoded.value.status ?? []) : [];
    const next = edit(list);
    const encoded = next.length ? (encodeProviderBag({ status: next }).status ?? null) : null;
    if ((encoded ?? undefined) === current.status) return;
    await relation.localApp.set({ status: encoded });
  }
}

function sameContent(a: Readonly<SecretContent>, b: Readonly<SecretContent>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}
