import { mkdir } from "node:fs/promises";
import { NOT_REQUIRED } from "../../lib/connect-client/wire/keys.js";
import {
  type Charm,
  type CharmMeta,
  dispatch,
  type Handlers,
  type Hook,
  JujuError,
  NotFoundError,
  PermissionDeniedError,
  type Relation,
} from "../../lib/juju/index.js";
import type {
  DesiredConnector,
  DesiredState,
  KafkaConnectAccess,
  PluginServing,
} from "../common/desired-state.js";
import { type Owner, ownerSuffix } from "../common/names.js";
import { WORKLOAD_EVENT } from "../common/workload-api.js";
import type { ActionDeps } from "./actions/deps.js";
import { type CleanupClientFactory, deleteOurConnectors, describeCleanup } from "./cleanup.js";
import type { Declaration } from "./config/connectors.js";
import { type CharmOptions, type ConfigProblem, DEFAULT_OPTIONS, parseOptions } from "./config/options.js";
import { declarationsFor, textSha256 } from "./config/parse-cache.js";
import { resolveDeclarations, type SecretReader } from "./config/secret-refs.js";
import {
  buildDesired,
  readDesired,
  readLastGood,
  readSnapshot,
  writeDesired,
  writeLastGood,
} from "./desired.js";
import { readHookState, writeHookState } from "./hook-state.js";
import { METRICS_ENDPOINT, publishScrape } from "./metrics-endpoint.js";
import { liveHolds, publishHistory, readPeers, writeHold } from "./peers.js";
import {
  ensurePluginCopy,
  MAX_PLUGIN_BYTES,
  type PluginCopy,
  type ProbeResult,
  pluginUrlFor,
  servesTarball,
} from "./plugin.js";
import type { Supervisor, WorkloadSpec } from "./service.js";
import { snapshotProblem } from "./snapshot-problem.js";
import { computeStatus, type PluginView, type RelationView } from "./status.js";
import { oneLine } from "./text.js";

/** The connect_client endpoint. */
export const CONNECT_ENDPOINT = "connect-client";

export interface CharmDeps {
  readonly supervisor: Supervisor;
  readonly stateDir: string;
  /** HEAD <host>:<port>/api/v1/plugin, host being where the server listens (production: probePluginServer). */
  readonly probePlugin: (port: number, host: string) => Promise<ProbeResult>;
  readonly now: () => number;
  /** The node binary the workload runs with (default: the one running this hook). */
  readonly node?: string;
  /** How relation-broken reaches Kafka Connect (default: the REST client, imported on demand). */
  readonly cleanupClient?: CleanupClientFactory;
  /** The action handlers (loaded on demand, so hooks never load them). */
  readonly loadActions?: () => Promise<(deps: ActionDeps) => ActionHandlers>;
}

export type ActionHandlers = NonNullable<Handlers<CharmMeta>["actions"]>;

/** The connect_client requirer (and the wire models' zod) loads only in hooks that read the relation. */
const loadRequirer = () => import("../../lib/connect-client/requirer.js");

/** Hooks that read the relation, secrets and resources afresh; the others reuse what the last hook wrote. */
function isRoutine(hook: Hook): boolean {
  const e = hook.event;
  return e.kind === "update-status" || (e.kind === "custom" && e.hook === WORKLOAD_EVENT);
}

/** Hooks after which the resource may have changed (attach-resource runs upgrade-charm). */
function mayChangeResource(hook: Hook): boolean {
  const k = hook.event.kind;
  return k === "install" || k === "start" || k === "upgrade-charm" || k === "config-changed";
}

function optionsOf(d: DesiredState): CharmOptions {
  return {
    port: d.port,
    pluginMode: d.plugin.mode === "not-required" ? "not-required" : "serve",
    restartPolicy: d.restartPolicy,
    reconcileIntervalMs: d.reconcileIntervalMs,
  };
}

export function ownerOf(hook: Hook, relation: Relation): Owner {
  return { app: hook.appName, relation: relation.number, modelUuid: hook.context.modelUuid };
}

/** secret-get with refresh (user secrets follow their latest revision); values registered for redaction. */
export function secretReader(hook: Hook): SecretReader {
  return async (id) => {
    try {
      return { ok: true, content: await hook.secrets.get({ uri: `secret:${id}` }, { refresh: true }) };
    } catch (err) {
      if (err instanceof PermissionDeniedError || err instanceof NotFoundError)
        return { ok: false, reason: "not-readable" };
      throw err;
    }
  };
}

async function configText(hook: Hook): Promise<{ raw: Record<string, unknown>; connectors: string }> {
  const raw = (await hook.config()) as Record<string, unknown>;
  return { raw, connectors: typeof raw.connectors === "string" ? raw.connectors : "" };
}

/** The declared connectors, resolved (for the leader's desired state and for actions). */
export async function resolvedConnectors(
  hook: Hook,
  stateDir: string,
  owner: Owner,
): Promise<
  | { ok: true; connectors: DesiredConnector[]; declarations: readonly Declaration[] }
  | { ok: false; problems: ConfigProblem[] }
> {
  const { connectors: text } = await configText(hook);
  const { parsed } = await declarationsFor(text, stateDir);
  if (!parsed.ok) return { ok: false, problems: [...parsed.problems] };
  const resolved = await resolveDeclarations(parsed.declarations, owner, secretReader(hook));
  return resolved.ok ? { ...resolved, declarations: parsed.declarations } : resolved;
}

type NetworkInfo = Awaited<ReturnType<Hook["tools"]["networkGet"]>>;
const networkAnswers = new WeakMap<Hook, Map<string, Promise<NetworkInfo | undefined>>>();

/**
 * `network-get <binding>` once per hook (its answer cannot change within one): the bind address and the
 * ingress address of one binding come from the same call. Undefined when Juju cannot answer.
 */
function networkInfo(hook: Hook, binding: string): Promise<NetworkInfo | undefined> {
  let answers = networkAnswers.get(hook);
  if (!answers) {
    answers = new Map();
    networkAnswers.set(hook, answers);
  }
  let answer = answers.get(binding);
  if (!answer) {
    answer = hook.tools.networkGet(binding).catch((err: unknown) => {
      if (err instanceof JujuError) return undefined;
      throw err;
    });
    answers.set(binding, answer);
  }
  return answer;
}

async function ingressAddress(hook: Hook, binding: string): Promise<string | undefined> {
  return (await networkInfo(hook, binding))?.["ingress-addresses"][0];
}

/** Listen on every address when Juju cannot say which is ours. */
export const ANY_ADDRESS = "0.0.0.0";

/**
 * The address the plugin server listens on: the binding's bind address, the one the unit publishes (an emulated
 * model gives each unit its own loopback address, so two units can both serve on the plugin port).
 */
export async function bindAddress(hook: Hook, binding: string): Promise<string> {
  const info = await networkInfo(hook, binding);
  return info?.["bind-addresses"][0]?.addresses[0]?.value || ANY_ADDRESS;
}

export function createCharm(deps: CharmDeps): Charm {
  const spec = (hook: Hook, host: string): WorkloadSpec => ({
    charmDir: hook.context.charmDir,
    stateDir: deps.stateDir,
    node: deps.node ?? process.execPath,
    host,
  });

  async function reconcile(hook: Hook, cleanupNote?: string): Promise<void> {
    const stateDir = deps.stateDir;
    const routine = isRoutine(hook);
    const memory = await readHookState(stateDir);
    const remembered = { ...memory };
    // Routine hooks reuse the last answer; Juju runs config-changed when the unit's addresses change.
    remembered.bindAddress =
      routine && memory.bindAddress ? memory.bindAddress : await bindAddress(hook, CONNECT_ENDPOINT);
    await deps.supervisor.ensure(spec(hook, remembered.bindAddress));
    const [leader, { raw, connectors: text }, previous, snapshot] = await Promise.all([
      hook.isLeader(),
      configText(hook),
      readDesired(stateDir),
      readSnapshot(stateDir),
    ]);
    const { options, problems } = parseOptions(
      raw,
      hook.appName,
      previous ? optionsOf(previous) : DEFAULT_OPTIONS,
    );

    // The declaration: parsed from cache unless the text changed (only then is the YAML parser loaded).
    const { parsed, parsedNow } = await declarationsFor(text, stateDir);
    if (!parsed.ok) problems.push(...parsed.problems);

    // The plugin.
    const { serving, view: pluginView } = await pluginState(hook, options, previous);

    // The relation.
    const [relation] = await hook
      .relations(CONNECT_ENDPOINT)
      .then((rs) => rs.filter((r) => !isBroken(hook, r)));
    let relationView: RelationView = relation
      ? { ready: true }
      : { ready: false, code: "no-relation", reason: "no relation", blocked: true };
    let access: KafkaConnectAccess | undefined;
    let published = false;
    const owner = relation ? ownerOf(hook, relation) : undefined;

    if (leader && relation && owner) {
      // plugin-url: published only once this unit's server proves it serves the tarball (Canonical's
      // provider treats a failed download as installed and never retries).
      const pub = await publishPluginUrl(hook, relation, options, serving, remembered, routine);
      published = pub.published;
      if (pub.problem) problems.push(pub.problem);

      if (routine && previous?.kafkaConnect?.relation === relation.number) {
        access = previous.kafkaConnect;
      } else {
        const { ConnectClientRequirer, needsIntervention } = await loadRequirer();
        const state = await new ConnectClientRequirer(hook, { pluginUrl: NOT_REQUIRED }).connection(
          relation.id,
        );
        if (state.ready) {
          const c = state.connection;
          access = {
            relation: relation.number,
            endpoints: [...c.endpoints],
            username: c.username,
            password: c.password,
            ...(c.tlsCa ? { tlsCa: c.tlsCa } : {}),
          };
        } else {
          relationView = {
            ready: false,
            code: state.code,
            reason: state.reason,
            blocked: needsIntervention(state),
          };
        }
      }
    }

    // Connectors: resolved on the leader; on a problem, the last good ones stay (nothing deleted by a typo).
    let connectors: DesiredConnector[] | undefined;
    let holds = {};
    let history = {};
    if (leader && owner) {
      const lastGood = await readLastGood(stateDir);
      const fresh = lastGood?.textSha === textSha256(text) && lastGood.suffix === ownerSuffix(owner);
      if (parsed.ok && routine && fresh) {
        connectors = lastGood.connectors;
      } else if (parsed.ok) {
        const resolved = await resolveDeclarations(parsed.declarations, owner, secretReader(hook));
        if (resolved.ok) {
          connectors = resolved.connectors;
          await writeLastGood(stateDir, {
            textSha: textSha256(text),
            suffix: ownerSuffix(owner),
            connectors,
          });
        } else {
          problems.push(...resolved.problems);
        }
      }
      if (!connectors && lastGood?.suffix === ownerSuffix(owner)) connectors = lastGood.connectors;

      const peers = await readPeers(hook);
      const hashes = new Map((connectors ?? []).map((c) => [c.declared, c.declarationHash]));
      holds = connectors ? liveHolds(peers.holds, hashes) : peers.holds;
      history = snapshot ? await publishHistory(hook, snapshot.history) : peers.history;
    }

    if (parsedNow || !routine) {
      for (const p of problems) await hook.log.warning(oneLine(p.message));
    }

    const body = buildDesired({
      unit: hook.unitName,
      app: hook.appName,
      modelUuid: hook.context.modelUuid,
      charmDir: hook.context.charmDir,
      port: options.port,
      plugin: serving,
      leader,
      ...(access ? { access } : {}),
      connectors,
      holds,
      restartPolicy: options.restartPolicy,
      reconcileIntervalMs: options.reconcileIntervalMs,
      history,
    });
    const { desired } = await writeDesired(stateDir, body, deps.now, previous);
    // What the workload must act on changed (not just the restart history it reports back): until a snapshot
    // of this generation exists, status is about the previous declaration.
    if (declarationOf(desired) !== (previous ? declarationOf(previous) : undefined)) {
      remembered.declaredGeneration = desired.generation;
    }

    // Port and metrics relation.
    if (remembered.openedPort !== options.port) {
      if (remembered.openedPort !== undefined)
        await hook.tools.closePort(`${remembered.openedPort}/tcp`).catch(() => undefined);
      await hook.tools.openPort(`${options.port}/tcp`);
      remembered.openedPort = options.port;
    }
    if (!routine && !isRelationEvent(hook, CONNECT_ENDPOINT)) {
      const metrics = await hook.relations(METRICS_ENDPOINT);
      if (metrics.length) {
        await publishScrape(hook, {
          topology: {
            model: hook.context.modelName,
            modelUuid: hook.context.modelUuid,
            app: hook.appName,
            charmName: hook.meta.name,
          },
          port: options.port,
          address: await ingressAddress(hook, METRICS_ENDPOINT),
        });
      }
    }

    // Only when there is no usable snapshot: why, if the file exists (else the status hides the cause).
    const unreadable = snapshot ? undefined : await snapshotProblem(stateDir);
    const status = computeStatus({
      app: hook.appName,
      leader,
      port: options.port,
      pluginMode: options.pluginMode,
      problems,
      plugin: pluginView.mode === "serve" ? { mode: "serve", published } : pluginView,
      relation: relationView,
      desired,
      ...(remembered.declaredGeneration !== undefined
        ? { declaredGeneration: remembered.declaredGeneration }
        : {}),
      ...(snapshot ? { snapshot } : {}),
      ...(unreadable ? { snapshotProblem: unreadable } : {}),
      ...(cleanupNote ? { cleanup: cleanupNote } : {}),
    });
    await hook.setUnitStatus(status.status, status.message);
    await writeHookState(stateDir, memory, remembered);
  }

  async function pluginState(
    hook: Hook,
    options: CharmOptions,
    previous: DesiredState | undefined,
  ): Promise<{ serving: PluginServing; view: PluginView }> {
    if (options.pluginMode === "not-required")
      return { serving: { mode: "not-required" }, view: { mode: "not-required" } };
    if (previous?.plugin.mode === "serve" && !mayChangeResource(hook)) {
      return { serving: previous.plugin, view: { mode: "serve" } };
    }
    let copy: PluginCopy;
    try {
      const path = await hook.tools.resourceGet("connect-plugin");
      copy = await ensurePluginCopy(path, deps.stateDir);
    } catch (err) {
      if (!(err instanceof JujuError)) throw err;
      copy = { state: "missing", why: err.message };
    }
    if (copy.state === "ready") {
      return {
        serving: { mode: "serve", path: copy.path, sha512: copy.sha512, size: copy.size },
        view: { mode: "serve" },
      };
    }
    if (copy.state === "too-big") {
      return {
        serving: { mode: "missing" },
        view: { mode: "too-big", size: copy.size, max: MAX_PLUGIN_BYTES },
      };
    }
    return { serving: { mode: "missing" }, view: { mode: "missing" } };
  }

  async function publishPluginUrl(
    hook: Hook,
    relation: Relation,
    options: CharmOptions,
    serving: PluginServing,
    remembered: { published?: string; bindAddress?: string },
    routine: boolean,
  ): Promise<{ published: boolean; problem?: ConfigProblem }> {
    let url: string;
    if (serving.mode === "not-required") {
      const key = `${relation.id} ${NOT_REQUIRED}`;
      if (routine && remembered.published === key) return { published: true };
      url = NOT_REQUIRED;
      remembered.published = key;
    } else if (serving.mode === "serve") {
      const key = `${relation.id} ${hook.unitName} ${options.port} ${serving.sha512}`;
      if (routine && remembered.published === key) return { published: true };
      const address = await ingressAddress(hook, CONNECT_ENDPOINT);
      if (!address) return { published: false };
      url = pluginUrlFor(address, options.port, serving.sha512);
      const current = await relation.localApp.get("plugin-url");
      if (current !== url) {
        const host = remembered.bindAddress ?? ANY_ADDRESS;
        const probe = await deps.probePlugin(options.port, host === ANY_ADDRESS ? "127.0.0.1" : host);
        if (!servesTarball(probe, serving.sha512)) {
          delete remembered.published;
          return { published: false };
        }
      }
      remembered.published = key;
    } else {
      return { published: false };
    }
    const { ConnectClientRequirer } = await loadRequirer();
    const result = await new ConnectClientRequirer(hook, { pluginUrl: url }).publish();
    if (!result.ok) return { published: false, problem: { key: "plugin-url", message: result.message } };
    return { published: true };
  }

  async function relationBroken(hook: Hook, relation: Relation): Promise<string | undefined> {
    if (!(await hook.isLeader())) return undefined;
    const previous = await readDesired(deps.stateDir);
    if ((await readHookState(deps.stateDir)).leftRelations?.includes(relation.id)) {
      // remove-unit: this unit leaves a relation that stays (Juju runs relation-broken on the leaving unit
      // too). Stop acting so the next leader is not fought, and delete nothing: the connectors are the
      // application's, still wanted by the units that remain.
      if (previous?.kafkaConnect?.relation === relation.number) {
        const { kafkaConnect: _gone, generation: _g, writtenAt: _w, ...body } = previous;
        await writeDesired(deps.stateDir, body, deps.now, previous);
      }
      await hook.log.info(
        `left connect-client relation ${relation.id} (this unit is being removed): nothing deleted`,
      );
      return "this unit left the relation; the connectors stay for the remaining units";
    }
    const access = previous?.kafkaConnect;
    if (!previous || !access || access.relation !== relation.number) {
      // Nothing to act with: say so, since connectors may be left on Kafka Connect.
      const why = !previous
        ? "no readable desired state in the state dir"
        : !access
          ? "this unit held no Kafka Connect access (the relation was never ready, or the declaration never valid)"
          : `the access held is for relation ${access.relation}`;
      await hook.log.warning(`connect-client relation ${relation.id} removed: no connectors deleted: ${why}`);
      return undefined;
    }
    // Stop the workload acting first, so it cannot recreate what we delete.
    const { kafkaConnect: _gone, ...rest } = previous;
    const { generation: _g, writtenAt: _w, ...body } = rest;
    await writeDesired(deps.stateDir, { ...body, connectors: [], holds: {} }, deps.now, previous);
    const report = await deleteOurConnectors(access, ownerOf(hook, relation), deps.cleanupClient);
    const note = describeCleanup(report);
    await hook.log.info(
      `connect-client relation ${relation.id} removed: ${note}${report.deleted.length ? `: ${report.deleted.join(", ")}` : ""}`,
    );
    return note;
  }

  return async (hook) => {
    await mkdir(deps.stateDir, { recursive: true, mode: 0o700 });
    if (hook.event.kind === "remove") {
      const memory = await readHookState(deps.stateDir);
      await deps.supervisor.remove(spec(hook, memory.bindAddress ?? ANY_ADDRESS));
      return;
    }
    const e = hook.event;
    if (e.kind === "relation-departed" && "departingUnit" in e && e.departingUnit === hook.unitName) {
      if (e.endpoint === CONNECT_ENDPOINT) await rememberLeaving(deps.stateDir, e.relationId);
    }
    let cleanupNote: string | undefined;
    const actions =
      hook.event.kind === "action" && deps.loadActions
        ? (await deps.loadActions())(actionDeps(deps))
        : undefined;
    await dispatch(hook, {
      relations: {
        [CONNECT_ENDPOINT]: {
          async broken(h, relation) {
            cleanupNote = await relationBroken(h, relation);
          },
        },
      },
      ...(actions ? { actions } : {}),
      reconcile: (h) => reconcile(h, cleanupNote),
    });
  };
}

/** The part of a desired state the workload acts on Kafka Connect with (see HookState.declaredGeneration). */
function declarationOf(d: DesiredState): string {
  return JSON.stringify([d.connectors, d.kafkaConnect ?? null, d.holds, d.restartPolicy]);
}

/** Notes that this unit itself departed the relation (see HookState.leftRelations). */
async function rememberLeaving(stateDir: string, relationId: string): Promise<void> {
  const before = await readHookState(stateDir);
  const left = before.leftRelations ?? [];
  if (left.includes(relationId)) return;
  await writeHookState(stateDir, before, { ...before, leftRelations: [...left, relationId].slice(-64) });
}

function isBroken(hook: Hook, relation: Relation): boolean {
  const e = hook.event;
  return e.kind === "relation-broken" && "relationId" in e && e.relationId === relation.id;
}

function isRelationEvent(hook: Hook, endpoint: string): boolean {
  const e = hook.event;
  return "endpoint" in e && e.endpoint === endpoint && e.kind !== "relation-broken";
}

/** ActionDeps from the hooks' modules: one parse, one way to Kafka Connect, one place for holds. */
export function actionDeps(deps: CharmDeps): ActionDeps {
  return {
    async connection(hook) {
      const [relation] = await hook.relations(CONNECT_ENDPOINT);
      if (!relation)
        return { reason: `no Kafka Connect relation: juju integrate ${hook.appName} <kafka-connect app>` };
      const { ConnectClientRequirer, restClientOptions } = await loadRequirer();
      const state = await new ConnectClientRequirer(hook, { pluginUrl: NOT_REQUIRED }).connection(
        relation.id,
      );
      if (!state.ready) return { reason: state.reason };
      const { KafkaConnectClient } = await import("../../lib/kafka-connect/client.js");
      return {
        client: new KafkaConnectClient(restClientOptions(state.connection)),
        owner: ownerOf(hook, relation),
      };
    },
    async declared(hook) {
      const [relation] = await hook.relations(CONNECT_ENDPOINT);
      const owner: Owner = relation
        ? ownerOf(hook, relation)
        : { app: hook.appName, relation: 0, modelUuid: hook.context.modelUuid };
      const resolved = await resolvedConnectors(hook, deps.stateDir, owner);
      if (resolved.ok) return { connectors: resolved.connectors };
      const [first, ...rest] = resolved.problems;
      return { problem: `${first!.message}${rest.length ? ` (and ${rest.length} more)` : ""}` };
    },
    snapshot: () => readSnapshot(deps.stateDir),
    desired: () => readDesired(deps.stateDir),
    async pluginUrl(hook) {
      const desired = await readDesired(deps.stateDir);
      if (desired?.plugin.mode !== "serve") return undefined;
      const address = await ingressAddress(hook, CONNECT_ENDPOINT);
      return address ? pluginUrlFor(address, desired.port, desired.plugin.sha512) : undefined;
    },
    async holds(hook) {
      return (await readPeers(hook)).holds;
    },
    async setHold(hook, declared, hold) {
      const holds = await writeHold(hook, declared, hold);
      // The peer databag commits when the action ends; the workload must see the hold now.
      const desired = await readDesired(deps.stateDir);
      if (!desired?.kafkaConnect) return;
      const hashes = new Map(desired.connectors.map((c) => [c.declared, c.declarationHash]));
      const { generation: _g, writtenAt: _w, ...body } = desired;
      await writeDesired(deps.stateDir, { ...body, holds: liveHolds(holds, hashes) }, deps.now, desired);
    },
    now: deps.now,
  };
}
