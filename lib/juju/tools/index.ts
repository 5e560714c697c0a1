import * as actions from "./actions.js";
import * as config from "./config.js";
import * as leadership from "./leadership.js";
import * as log from "./log.js";
import * as network from "./network.js";
import * as relations from "./relations.js";
import type { ToolRunner } from "./runner.js";
import * as secrets from "./secrets.js";
import * as state from "./state.js";
import * as status from "./status.js";

export * from "./actions.js";
export * from "./config.js";
export * from "./exec.js";
export * from "./leadership.js";
export * from "./log.js";
export * from "./network.js";
export * from "./relations.js";
export * from "./runner.js";
export * from "./secrets.js";
export * from "./state.js";
export * from "./status.js";

const wrappers = {
  relationIds: relations.relationIds,
  relationList: relations.relationList,
  relationRemoteApp: relations.relationRemoteApp,
  relationGet: relations.relationGet,
  relationSet: relations.relationSet,
  isLeader: leadership.isLeader,
  configGet: config.configGet,
  statusSet: status.statusSet,
  statusGet: status.statusGet,
  applicationStatusGet: status.applicationStatusGet,
  applicationVersionSet: status.applicationVersionSet,
  jujuLog: log.jujuLog,
  actionGet: actions.actionGet,
  actionSet: actions.actionSet,
  actionFail: actions.actionFail,
  actionLog: actions.actionLog,
  openPort: network.openPort,
  closePort: network.closePort,
  openedPorts: network.openedPorts,
  networkGet: network.networkGet,
  resourceGet: network.resourceGet,
  secretAdd: secrets.secretAdd,
  secretGet: secrets.secretGet,
  secretSet: secrets.secretSet,
  secretGrant: secrets.secretGrant,
  secretRevoke: secrets.secretRevoke,
  secretRemove: secrets.secretRemove,
  secretIds: secrets.secretIds,
  secretInfoGet: secrets.secretInfoGet,
  stateGetAll: state.stateGetAll,
  stateSet: state.stateSet,
  stateDelete: state.stateDelete,
} as const;

type Bound<F> = F extends (runner: ToolRunner, ...args: infer A) => infer R ? (...args: A) => R : never;

/** Every hook-tool wrapper, bound to one runner: `tools.relationGet("db:3", "pg/0")`. */
export type HookTools = { readonly [K in keyof typeof wrappers]: Bound<(typeof wrappers)[K]> };

export function bindTools(runner: ToolRunner): HookTools {
  const bound: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(wrappers)) {
    bound[name] = (...args: unknown[]) =>
      (fn as (r: ToolRunner, ...a: unknown[]) => unknown)(runner, ...args);
  }
  return bound as HookTools;
}
