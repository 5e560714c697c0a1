import {
  ConnectClientProvider,
  ConnectClientRequirer,
  type Connection,
  needsIntervention,
  type ProviderEvent,
  type RequirerEvent,
} from "../../../lib/connect-client/index.js";
import {
  PluginInstaller,
  type PluginInstallerOptions,
  pluginInstallStatus,
} from "../../../lib/connect-client/plugins.js";
import type { Charm, CharmMeta, Hook } from "../../../lib/juju/index.js";

/**
 * Two small charms that use the library the way real ones would: an integrator (requirer) and a Kafka Connect
 * charm (provider). Tests drive them through lib/testing; events are logged so tests can see them.
 */

export const integratorMeta = {
  name: "integrator",
  requires: { "connect-client": { interface: "connect_client", limit: 1 } },
  config: {
    options: {
      "plugin-url": { type: "string", default: "http://10.1.1.200:8080/api/v1/plugin" },
      "extra-secrets": { type: "string", default: "" },
    },
  },
} as const satisfies CharmMeta;

export const kafkaConnectMeta = {
  name: "kafka-connect",
  provides: { "connect-client": { interface: "connect_client" } },
  config: {
    options: {
      endpoints: { type: "string", default: "http://10.0.0.1:8083,http://10.0.0.2:8083" },
      password: { type: "string", default: "first-password" },
      "tls-ca": { type: "string", default: "" },
      status: { type: "string", default: "" },
    },
  },
} as const satisfies CharmMeta;

function describeRequirerEvent(e: RequirerEvent): string {
  switch (e.kind) {
    case "integration-created":
      return `integration-created ${e.relationId} endpoints=${e.connection.endpoints.join(",")}`;
    case "endpoints-changed":
      return `endpoints-changed ${e.relationId} ${e.previous.join(",")} -> ${e.endpoints.join(",")}`;
    case "credentials-rotated":
      return `credentials-rotated ${e.relationId} ${e.secret}`;
    case "status-raised":
    case "status-resolved":
      return `${e.kind} ${e.relationId} ${e.status.code}`;
    case "integration-broken":
      return `integration-broken ${e.relationId}`;
  }
}

/** What the integrator last connected with, per unit, for tests to compare (kept out of logs and status). */
export const lastConnection = new Map<string, Connection>();

export const integratorCharm: Charm<typeof integratorMeta> = async (hook) => {
  const config = await hook.config();
  const extra = config["extra-secrets"] ? config["extra-secrets"].split(",") : [];
  const requirer = new ConnectClientRequirer(hook, { pluginUrl: config["plugin-url"], extraSecrets: extra });
  const published = await requirer.publish();
  if (!published.ok) {
    await hook.setUnitStatus("blocked", published.message);
    return;
  }
  for (const e of await requirer.events()) await hook.log.info(`event ${describeRequirerEvent(e)}`);
  const state = await requirer.connection();
  if (state.ready) {
    lastConnection.set(hook.unitName, state.connection);
    await hook.setUnitStatus("active", `connected to ${state.connection.endpoints.length} endpoints`);
  } else {
    await hook.setUnitStatus(needsIntervention(state) ? "blocked" : "waiting", state.reason);
  }
};

function describeProviderEvent(e: ProviderEvent): string {
  switch (e.kind) {
    case "integration-requested":
      return `integration-requested ${e.request.relationId} ${e.request.pluginRequired ? e.request.pluginUrl : "no plugin"}`;
    case "plugin-url-changed":
      return `plugin-url-changed ${e.request.relationId} ${e.previous} -> ${e.request.pluginUrl}`;
    case "integration-broken":
      return `integration-broken ${e.relationId}`;
  }
}

async function publishAll(hook: Hook<typeof kafkaConnectMeta>, provider: ConnectClientProvider) {
  const config = await hook.config();
  for (const state of await provider.requests()) {
    if (!state.ok) {
      await hook.log.info(`not publishing: ${state.reason}`);
      continue;
    }
    const n = state.request.relationId.split(":")[1];
    const result = await provider.publish(state.request.relationId, {
      endpoints: config.endpoints.split(","),
      username: `relation-${n}`,
      password: config.password,
      ...(config["tls-ca"] ? { tlsCa: config["tls-ca"] } : {}),
    });
    if (!result.published) await hook.log.info(`not published: ${result.reason}`);
    if (config.status) {
      await provider.raiseStatus(state.request.relationId, {
        code: 4001,
        message: config.status,
        resolution: "wait for the workers to restart",
      });
    } else {
      await provider.resolveStatus(state.request.relationId, 4001);
    }
  }
}

export const kafkaConnectCharm: Charm<typeof kafkaConnectMeta> = async (hook) => {
  const provider = new ConnectClientProvider(hook);
  for (const e of await provider.events()) {
    await hook.log.info(`event ${describeProviderEvent(e)}`);
    if (e.kind === "integration-broken" && (await hook.isLeader())) {
      const removed = await provider.cleanup(e.relationId);
      await hook.log.info(`removed ${removed.length} secrets`);
    }
  }
  if (await hook.isLeader()) await publishAll(hook, provider);
  await hook.setUnitStatus("active", "");
};

/**
 * The Kafka Connect charm again, now installing plugins the way a real provider must before it hands out
 * credentials: every unit keeps each relation's plugin installed, retrying on later hooks.
 */
export function kafkaConnectWithPlugins(
  pluginRoot: string,
  fetch: PluginInstallerOptions["fetch"],
): Charm<typeof kafkaConnectMeta> {
  return async (hook) => {
    const provider = new ConnectClientProvider(hook);
    const installer = new PluginInstaller(hook, { pluginRoot, fetch });
    for (const e of await provider.events()) {
      await hook.log.info(`event ${describeProviderEvent(e)}`);
      if (e.kind === "integration-broken") {
        const removed = await installer.remove(e.relationId);
        await hook.log.info(`removed ${removed.length} plugin directories`);
        if (await hook.isLeader()) await provider.cleanup(e.relationId);
      }
    }
    const requests = (await provider.requests()).flatMap((s) => (s.ok ? [s.request] : []));
    const outcomes = await installer.ensure(requests);
    for (const o of outcomes) {
      if (o.state === "installed" && o.changed)
        await hook.log.info(`installed ${o.relationId} ${o.plugin.dir}`);
    }
    if (await hook.isLeader()) {
      const config = await hook.config();
      for (const o of outcomes) {
        if (o.state === "failed") continue; // credentials only once the plugin is in place
        await provider.publish(o.relationId, {
          endpoints: config.endpoints.split(","),
          username: `relation-${o.relationId.split(":")[1]}`,
          password: config.password,
          ...(config["tls-ca"] ? { tlsCa: config["tls-ca"] } : {}),
        });
      }
    }
    const status = pluginInstallStatus(outcomes);
    await hook.setUnitStatus(status?.status ?? "active", status?.message ?? "");
  };
}
