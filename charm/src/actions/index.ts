import type { Action, ActionEvent, CharmMeta, Hook } from "../../../lib/juju/index.js";
import type { ActionDeps } from "./deps.js";
import { listConnectors } from "./list-connectors.js";
import { alterOffsets, getOffsets, resetOffsets } from "./offsets.js";
import { plan } from "./plan.js";
import { pluginInfo } from "./plugin-info.js";
import { restart, restartTask } from "./restart.js";
import { handler } from "./run.js";
import { holdAction, resume } from "./state.js";

export type { ActionDeps, ActionLimits, ConnectionResult, DeclaredResult } from "./deps.js";
export { DEFAULT_LIMITS } from "./deps.js";

/** The action names actions.yaml declares, each handled here. */
export const ACTION_NAMES = [
  "list-connectors",
  "restart",
  "restart-task",
  "pause",
  "resume",
  "stop",
  "get-offsets",
  "alter-offsets",
  "reset-offsets",
  "plan",
  "plugin-info",
] as const;
export type ActionName = (typeof ACTION_NAMES)[number];

export type ActionHandler<M extends CharmMeta = CharmMeta> = (
  hook: Hook<M>,
  action: Action,
  event: ActionEvent,
) => Promise<void>;

/**
 * The `actions` map for lib/juju's `dispatch`: `dispatch(hook, { actions: actionHandlers(deps), … })`. Each
 * handler reports its results with `action.set` and any failure as one line with `action.fail` (the hook itself
 * succeeds), and closes the Kafka Connect client it opened.
 */
export function actionHandlers<M extends CharmMeta = CharmMeta>(
  deps: ActionDeps,
): Readonly<Record<ActionName, ActionHandler<M>>> {
  const h = (body: Parameters<typeof handler>[1]): ActionHandler<M> => {
    const run = handler(deps, body);
    return (hook, action) => run(hook as unknown as Hook, action);
  };
  return {
    "list-connectors": h(listConnectors),
    restart: h(restart),
    "restart-task": h(restartTask),
    pause: h(holdAction("paused")),
    resume: h(resume),
    stop: h(holdAction("stopped")),
    "get-offsets": h(getOffsets),
    "alter-offsets": h(alterOffsets),
    "reset-offsets": h(resetOffsets),
    plan: h(plan),
    "plugin-info": h(pluginInfo),
  };
}
