export { JUJU_EXEC, refusedInHook } from "./exec.js";
export * from "./lifecycle.js";
export { MACHINE_MARKER } from "./machines.js";
export {
  type ActionOutcome,
  type ConfigValue,
  type DeployOptions,
  type HookRecord,
  Model,
  type ModelOptions,
  type UnitInfo,
} from "./model.js";
export type { HookVia } from "./queue.js";
export * from "./status.js";
