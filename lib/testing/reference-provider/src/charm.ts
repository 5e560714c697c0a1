import {
  ConnectClientProvider,
  type IntegrationRequest,
  type RequestState,
} from "../../../connect-client/index.js";
import {
  type InstallOutcome,
  PluginInstaller,
  type PluginInstallerOptions,
  pluginInstallStatus,
} from "../../../connect-client/plugin-installs.js";
import type { Charm, CharmMeta, Hook, Relation } from "../../../juju/index.js";
import { connectorsToDelete } from "./cleanup.js";
import { pluginDirRelations, readBounded, writeSecretFileAtomically } from "./files.js";
import { type Scheme, schemeOf, wantedScheme, workerConfigText } from "./listener.js";
import {
  encodeReadiness,
  KEY_ENDPOINT,
  KEY_READY,
  KEY_USERS_SECRET,
  KEY_USERS_VERSION,
  PEER,
  parseVersion,
  planPublish,
  type UnitReport,
  unitsOnOtherScheme,
} from "./readiness.js";
import {
  ADMIN_USER,
  credentialsFileText,
  loadDigest,
  relationUser,
  type Users,
  wantedUsers,
} from "./users.js";
import { controlWorker, readWorkerControl, type WorkerControlInfo } from "./worker-control.js";

export const ENDPOINT = "connect-client";
export const CONTROL_ENV = "KCP_WORKER_CONTROL";
const USERS_LABEL = "rest-users";
/** What the worker loaded at its last (re)start: credentials, plugin dirs, listener, as loadDigest makes it. */
const STATE_LOADED = "kafka-connect.loaded";
const MAX_CREDENTIALS_FILE = 1024 * 1024;
const MAX_CA_FILE = 256 * 1024;
/** The worker config file holds one line we write; anything much larger is not ours. */
const MAX_CONFIG_FILE = 64 * 1024;
/**
 * All plugin downloads of one hook together. A hostile or broken URL (a body that trickles) would otherwise cost
 * the fetcher's default 4 tries × 60 s on EVERY hook of every unit, holding the machine lock that long (the
 * model emulator kills a hook at 120 s, and then nothing of that hook is committed, other relations included).
 */
export const DOWNLOAD_BUDGET_MS = 45_000;
/** Per-download defaults inside that budget: two tries, so a transient failure is retried within the hook. */
const FETCH_DEFAULTS = { timeoutMs: 20_000, attempts: 2, backoffMs: 500, backoffCapMs: 2_000 } as const;
/** Canonical's provider gives its own REST calls 2 s (KC:src/managers/connect.py:96-136); ours get a total bound. */
const DELETE_BUDGET_MS = 20_000;

export interface ProviderCharmOptions {
  /** This unit's worker-control URL (the charm's main reads KCP_WORKER_CONTROL). */
  readonly controlUrl: (hook: Hook) => string | undefined;
  /** Limits, timeouts, retries of each plugin download (see fetchPlugin). */
  readonly fetch?: PluginInstallerOptions["fetch"];
  /** Bound on all plugin downloads of one hook together (default DOWNLOAD_BUDGET_MS). */
  readonly downloadBudgetMs?: number;
  /** Bound on each worker-control call (default 10 s). */
  readonly controlTimeoutMs?: number;
}

interface Reconciled {
  readonly users: Users;
  readonly version: number;
}

/**
 * The reference Kafka Connect provider: one holistic reconcile per hook. Against Canonical's kafka-connect
 * charm (facts: KC = canonical/kafka-connect-operator), it: downloads with our fetcher on every unit and retries
 * on any later hook (KC gates credentials on the leader's first try, with no timeout or status check); removes
 * exactly `relation-<id>-` dirs (KC's `relation-<id>*` glob also hits relation-10); restarts a worker only when
 * what it loads changed; and publishes a relation only once EVERY worker loaded its user (KC publishes once the
 * leader has).
 */
export function kafkaConnectCharm<M extends CharmMeta>(opts: ProviderCharmOptions): Charm<M> {
  return async (hook) => {
    const h = hook as unknown as Hook;
    const e = h.event;
    if (e.kind === "action") {
      if (e.action === "rotate-password") return rotatePassword(h, opts);
      await h.tools.actionFail(`action "${e.action}" is not implemented by this charm`);
      return;
    }
    await reconcile(h, opts);
  };
}

async function rotatePassword(hook: Hook, opts: ProviderCharmOptions): Promise<void> {
  const action = hook.action!;
  if (!(await hook.isLeader())) {
    await action.fail("rotate-password runs on the leader only: run it on the unit juju status marks with *");
    return;
  }
  const { "relation-id": id } = await action.params<{ "relation-id": number }>();
  const live = await hook.relations(ENDPOINT);
  if (!live.some((r) => r.number === id)) {
    await action.fail(
      `there is no relation ${ENDPOINT}:${id}; give one of: ${live.map((r) => r.number).join(", ") || "(none)"}`,
    );
    return;
  }
  const result = await reconcile(hook, opts, id);
  if (!result) {
    await action.fail("the REST users could not be updated yet; see the unit's status and try again");
    return;
  }
  await action.set({ relation: `${ENDPOINT}:${id}`, user: relationUser(id), version: result.version });
}

async function reconcile(
  hook: Hook,
  opts: ProviderCharmOptions,
  rotate?: number,
): Promise<Reconciled | undefined> {
  const e = hook.event;
  const leader = await hook.isLeader();
  const provider = new ConnectClientProvider(hook, { endpoint: ENDPOINT });
  // The library refuses a plugin-url over 8 KiB (the wire's MAX_PLUGIN_URL_LENGTH) before it remembers it in
  // unit state, so a requirer cannot fail this unit's every hook with a huge value.
  await provider.events();

  const url = opts.controlUrl(hook);
  if (!url) {
    await hook.setUnitStatus(
      "blocked",
      `${CONTROL_ENV} is not set: this machine has no Kafka Connect worker (deploy with deployKafkaConnect)`,
    );
    return undefined;
  }
  let worker: WorkerControlInfo;
  try {
    worker = await readWorkerControl(url, opts.controlTimeoutMs);
  } catch (err) {
    await hook.setUnitStatus("waiting", `worker control: ${(err as Error).message}; will retry`);
    return undefined;
  }
  const [peer] = await hook.relations(PEER);
  if (peer) await setIfChanged(peer.localUnit, { [KEY_ENDPOINT]: worker.endpoint });
  const scheme = wantedScheme((await hook.config()).tls);

  const installer = new PluginInstaller(hook, {
    pluginRoot: worker.pluginPath,
    endpoint: ENDPOINT,
    fetch: {
      ...FETCH_DEFAULTS,
      ...opts.fetch,
      signal: opts.fetch?.signal ?? AbortSignal.timeout(opts.downloadBudgetMs ?? DOWNLOAD_BUDGET_MS),
    },
  });
  const broken = e.kind === "relation-broken" && e.endpoint === ENDPOINT ? e.relationId : undefined;
  if (broken) {
    const removed = await installer.remove(broken);
    await hook.log.info(`${broken} is gone: removed ${removed.length} plugin dir(s)`);
    if (leader) await provider.cleanup(broken);
  }

  const states: RequestState[] = await provider.requests();
  const liveNumbers = states.map((s) => relationNumber(s.ok ? s.request.relationId : s.relationId));
  // A unit that missed a relation-broken (or a relation removed while it was down) still drops its dirs.
  for (const n of await pluginDirRelations(worker.pluginPath)) {
    if (!liveNumbers.includes(n)) await installer.remove(`${ENDPOINT}:${n}`);
  }
  const requests = states.flatMap((s) => (s.ok ? [s.request] : []));
  const missing = await firstMissingPlugin(installer, requests);
  if (missing) await hook.setUnitStatus("waiting", `installing the plugin for relation ${missing}`);
  // One relation at a time per call, all relations at once: a slow URL shares the budget, it does not queue
  // the others behind it (each relation has its own state key and its own `relation-<id>-` dirs).
  const outcomes = (await Promise.all(requests.map((r) => installer.ensure([r])))).flat();

  // ---- users: the leader keeps them in one app-owned secret; every unit loads them into its worker ----
  let users: Users | undefined;
  let version = 0;
  if (peer) {
    const app = await peer.localApp.read();
    version = parseVersion(app[KEY_USERS_VERSION]);
    if (leader) {
      const kept = await leaderUsers(hook, peer, app, requests, rotate);
      users = kept.users;
      version = kept.version;
    } else if (app[KEY_USERS_SECRET]) {
      // Every unit of the owning application reads the app-owned secret, at its latest revision.
      users = await hook.secrets.get({ uri: app[KEY_USERS_SECRET] });
    }
  }
  if (!users || !peer) {
    await hook.setUnitStatus("waiting", "waiting for the leader to create the REST users");
    return undefined;
  }
  if (
    e.kind === "relation-departed" &&
    e.endpoint === ENDPOINT &&
    leader &&
    (await hook.config())["delete-connectors-on-departure"] === true
  ) {
    await deleteDepartedConnectors(hook, worker, users, e.relationId, e.departingUnit);
  }

  const text = credentialsFileText(users);
  const onDisk = await readBounded(worker.credentialsFile, MAX_CREDENTIALS_FILE).catch(() => undefined);
  if (onDisk !== text) await writeSecretFileAtomically(worker.credentialsFile, text);
  // The REST listener: Kafka reads `listeners` at start only, so a scheme switch is one more thing the
  // restart below loads. Not a secret, but written the same atomic way (a worker starting meanwhile reads
  // the old line or the new one).
  let configText: string | undefined;
  if (worker.configFile) {
    configText = workerConfigText(scheme, worker.endpoint);
    const current = await readBounded(worker.configFile, MAX_CONFIG_FILE).catch(() => undefined);
    if (current !== configText) await writeSecretFileAtomically(worker.configFile, configText);
  }
  const listenerProblem =
    scheme === "https" && !worker.configFile
      ? `worker ${worker.index} has no config file (worker control): it cannot switch to https; set tls=false`
      : undefined;
  const dirs = outcomes.flatMap((o) => (o.state === "installed" ? [o.plugin.dir] : []));
  const digest = loadDigest(text, dirs, configText);
  const state = await hook.tools.stateGetAll();
  let running = worker.running;
  let controlProblem: string | undefined;
  if (state[STATE_LOADED] !== digest || !running) {
    // PropertyFileLoginModule caches the file per JVM and plugin.path is scanned at start, so new users and
    // plugins need a restart (apache/kafka PropertyFileLoginModule.java; KC restarts for the same reasons).
    const switching = configText !== undefined && schemeOf(worker.endpoint) !== scheme;
    await hook.setUnitStatus(
      "maintenance",
      switching
        ? `restarting worker ${worker.index} to switch its REST listener to ${scheme}`
        : `restarting worker ${worker.index} to load users and plugins`,
    );
    try {
      await controlWorker(url, running ? "restart" : "start", opts.controlTimeoutMs);
      running = true;
      await hook.tools.stateSet({ [STATE_LOADED]: digest });
      // The endpoint follows the listener's scheme: the peers (and the leader's publication) learn it here.
      worker = await readWorkerControl(url, opts.controlTimeoutMs);
      await setIfChanged(peer.localUnit, { [KEY_ENDPOINT]: worker.endpoint });
    } catch (err) {
      // Whether the worker still runs (the old users) or not, it has not loaded these: not ready.
      running = false;
      controlProblem = (err as Error).message;
      await hook.log.warning(`worker ${worker.index}: ${controlProblem}`);
    }
  }
  const readyHere = running
    ? outcomes
        .filter((o) => o.state !== "failed" && users[relationUser(relationNumber(o.relationId))])
        .map((o) => relationNumber(o.relationId))
    : [];
  const ownReady = encodeReadiness({ version, relations: readyHere });
  await setIfChanged(peer.localUnit, { [KEY_READY]: ownReady });

  const waiting = leader
    ? await publishReady(hook, provider, peer, worker, users, version, requests, scheme, {
        [KEY_ENDPOINT]: worker.endpoint,
        [KEY_READY]: ownReady,
      })
    : [];
  await setStatus(hook, worker, running, controlProblem ?? listenerProblem, states, outcomes, waiting);
  return { users, version };
}

async function firstMissingPlugin(
  installer: PluginInstaller,
  requests: readonly IntegrationRequest[],
): Promise<number | undefined> {
  for (const r of requests) {
    if (!r.pluginRequired) continue;
    if ((await installer.installed(r.relationId))?.pluginUrl !== r.pluginUrl)
      return relationNumber(r.relationId);
  }
  return undefined;
}

/** The leader's users: one per live request, admin, a rotation if asked; a change makes a new revision. */
async function leaderUsers(
  hook: Hook,
  peer: Relation,
  app: Readonly<Record<string, string>>,
  requests: readonly IntegrationRequest[],
  rotate: number | undefined,
): Promise<{ users: Users; version: number }> {
  const uri = app[KEY_USERS_SECRET];
  const current: Record<string, string> = uri ? await hook.secrets.get({ uri }) : {};
  if (rotate !== undefined) delete current[relationUser(rotate)];
  const live = requests.map((r) => relationNumber(r.relationId));
  if (rotate !== undefined && !live.includes(rotate)) live.push(rotate);
  const { users, changed } = wantedUsers(current, live);
  let version = parseVersion(app[KEY_USERS_VERSION]);
  if (!uri) {
    const created = await hook.secrets.add(users, {
      label: USERS_LABEL,
      description: "REST users of the Kafka Connect workers",
    });
    version++;
    await peer.localApp.set({ [KEY_USERS_SECRET]: created, [KEY_USERS_VERSION]: String(version) });
  } else if (changed) {
    await hook.secrets.set(uri, users);
    // Juju fires secret-changed on consumers only, never on the owner's units: the version in the peer app
    // bag is what wakes the other units (peer relation-changed) to rewrite their files and roll.
    version++;
    await peer.localApp.set({ [KEY_USERS_VERSION]: String(version) });
  }
  return { users, version };
}

/** Leader: publishes each relation every unit serves; returns a waiting message per relation that is not. */
async function publishReady(
  hook: Hook,
  provider: ConnectClientProvider,
  peer: Relation,
  worker: WorkerControlInfo,
  users: Users,
  version: number,
  requests: readonly IntegrationRequest[],
  scheme: Scheme,
  ownBag: Readonly<Record<string, string>>,
): Promise<string[]> {
  const reports: UnitReport[] = [{ unit: hook.unitName, bag: ownBag }];
  for (const unit of await peer.units()) reports.push({ unit, bag: await peer.remoteUnitData(unit) });
  // A scheme switch rolls one unit per hook; what is published stays as it was until every worker made it.
  const behind = unitsOnOtherScheme(reports, scheme);
  if (behind > 0)
    return [
      `switching the REST listeners to ${scheme}: ${reports.length - behind} of ${reports.length} workers done`,
    ];
  const waiting: string[] = [];
  for (const request of requests) {
    const n = relationNumber(request.relationId);
    const plan = planPublish(reports, version, n, scheme);
    const password = users[relationUser(n)];
    if (plan.ready < plan.total || plan.endpoints.length < plan.total || !password) {
      waiting.push(`waiting for ${plan.total - plan.ready} of ${plan.total} workers to load relation ${n}`);
      continue;
    }
    // https: the CA goes with the endpoints (secret-tls); http: none, and publish says `tls: disabled`.
    const tlsCa =
      scheme === "https" && worker.caFile ? await readBounded(worker.caFile, MAX_CA_FILE) : undefined;
    if (scheme === "https" && !tlsCa) {
      waiting.push(`relation ${n} not published: the worker control gives no CA for https`);
      continue;
    }
    const result = await provider.publish(request.relationId, {
      endpoints: plan.endpoints,
      username: relationUser(n),
      password,
      ...(tlsCa ? { tlsCa } : {}),
    });
    if (!result.published) waiting.push(`relation ${n} not published: ${result.reason}`);
    for (const w of result.published ? result.warnings : []) await hook.log.warning(w);
  }
  return waiting;
}

/** Canonical's behaviour on departure, behind the config switch: delete the relation's connectors. */
async function deleteDepartedConnectors(
  hook: Hook,
  worker: WorkerControlInfo,
  users: Users,
  relationId: string,
  departingUnit: string | undefined,
): Promise<void> {
  // KC deletes only when the departing unit belongs to the remote application (KC:src/events/provider.py:111-115).
  if (!departingUnit || departingUnit.startsWith(`${hook.appName}/`)) return;
  const password = users[ADMIN_USER];
  if (!password) return;
  const tlsCa = worker.caFile ? await readBounded(worker.caFile, MAX_CA_FILE) : undefined;
  // Only this rare path talks to Kafka Connect: the REST client is loaded here, not by every hook.
  const { KafkaConnectClient } = await import("../../../kafka-connect/index.js");
  const client = new KafkaConnectClient({
    endpoints: [worker.endpoint],
    auth: { username: ADMIN_USER, password },
    ...(tlsCa ? { tlsCa } : {}),
    timeoutMs: 5_000,
    signal: AbortSignal.timeout(DELETE_BUDGET_MS),
  });
  try {
    const names = await client.listConnectors();
    for (const name of connectorsToDelete(names, relationNumber(relationId))) {
      try {
        await client.deleteConnector(name);
        await hook.log.info(`deleted connector ${name} of departed ${relationId}`);
      } catch (err) {
        await hook.log.warning(`could not delete connector ${name}: ${(err as Error).message}`);
      }
    }
  } catch (err) {
    await hook.log.warning(`could not list connectors for ${relationId}: ${(err as Error).message}`);
  } finally {
    await client.close();
  }
}

async function setStatus(
  hook: Hook,
  worker: WorkerControlInfo,
  running: boolean,
  controlProblem: string | undefined,
  states: readonly RequestState[],
  outcomes: readonly InstallOutcome[],
  waiting: readonly string[],
): Promise<void> {
  const invalid = states.find((s) => !s.ok && s.code === "invalid-requirer-data");
  if (invalid && !invalid.ok) {
    await hook.setUnitStatus("blocked", `${invalid.reason}; the integrator must fix its databag`);
    return;
  }
  const plugin = pluginInstallStatus(outcomes);
  if (plugin) return hook.setUnitStatus(plugin.status, plugin.message);
  if (controlProblem) {
    return hook.setUnitStatus(
      "waiting",
      `worker ${worker.index}: ${controlProblem}; will retry on the next hook`,
    );
  }
  if (!running) {
    return hook.setUnitStatus(
      "waiting",
      `worker ${worker.index} is not running; will start it on the next hook`,
    );
  }
  if (waiting[0]) return hook.setUnitStatus("waiting", waiting.join("; "));
  const clients = outcomes.filter((o) => o.state !== "failed").length;
  await hook.setUnitStatus("active", `worker ${worker.index} running, ${clients} client(s)`);
}

async function setIfChanged(
  bag: Relation["localUnit"],
  values: Readonly<Record<string, string>>,
): Promise<void> {
  const current = await bag.read();
  const diff = Object.fromEntries(Object.entries(values).filter(([k, v]) => current[k] !== v));
  if (Object.keys(diff).length) await bag.set(diff);
}

function relationNumber(relationId: string): number {
  return Number(relationId.slice(relationId.lastIndexOf(":") + 1));
}
