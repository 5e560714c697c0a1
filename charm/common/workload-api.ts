/**
 * Names both sides of the charm ⇄ workload seam agree on. The workload runs on every unit as one service
 * (`node workload.mjs --state-dir <dir>`); the hooks write `desired.json` there and read `status.json`.
 */

/** The custom hook the workload dispatches through `juju-exec` when what it observes changes. */
export const WORKLOAD_EVENT = "workload-changed";

/** Production state folder (root-owned, 0700); tests and the model emulator set KCI_STATE_DIR. */
export const DEFAULT_STATE_DIR = "/var/lib/kafka-connect-integrator";
export const STATE_DIR_ENV = "KCI_STATE_DIR";

/** The plugin route, as Canonical's template integrators serve it (`/api/v1/plugin` on 8080). */
export const PLUGIN_PATH = "/api/v1/plugin";
/** The template integrators' liveness route, kept for compatibility; `/healthz` is the same. */
export const LIVENESS_PATH = "/api/v1/healthcheck/liveness";
export const METRICS_PATH = "/metrics";
export const DEFAULT_PORT = 8080;

/** Juju guarantees leadership for this long after is-leader answered true. */
export const LEADERSHIP_LEASE_MS = 30_000;
