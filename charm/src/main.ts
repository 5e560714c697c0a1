import meta from "virtual:charm-meta";
import { runCharm } from "../../lib/juju/index.js";
import { DEFAULT_STATE_DIR, STATE_DIR_ENV } from "../common/workload-api.js";
import { createCharm } from "./charm.js";
import { probePluginServer } from "./plugin.js";
import { supervisorFromEnv } from "./service.js";

/** The bundled charm's entry point (charm.mjs): production seams, then one hook. */
await runCharm(
  createCharm({
    supervisor: supervisorFromEnv(),
    stateDir: process.env[STATE_DIR_ENV] || DEFAULT_STATE_DIR,
    probePlugin: (port, host) => probePluginServer(port, 2_000, host),
    now: Date.now,
    // Actions load only in action hooks (each its own chunk), so ordinary hooks never parse them.
    loadActions: () => import("./actions/index.js").then((m) => m.actionHandlers),
  }),
  meta,
);
