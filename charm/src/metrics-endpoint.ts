import type { Hook } from "../../lib/juju/index.js";
import { METRICS_PATH } from "../common/workload-api.js";

/**
 * The `metrics-endpoint` relation (interface prometheus_scrape), as COS Lite's Prometheus reads it. Keys as
 * canonical/prometheus-k8s-operator's charm library writes them (lib/charms/prometheus_k8s/v0/
 * prometheus_scrape.py, MetricsEndpointProvider): app data `scrape_jobs` (JSON list of scrape configs; a `*`
 * host means "each unit's address") and `scrape_metadata` (the Juju topology); unit data
 * `prometheus_scrape_unit_address` and `prometheus_scrape_unit_name`.
 */

export const METRICS_ENDPOINT = "metrics-endpoint";

export interface Topology {
  readonly model: string;
  readonly modelUuid: string;
  readonly app: string;
  readonly charmName: string;
}

/** The app databag (leader): one fixed-name job scraping every unit's workload. */
export function scrapeAppData(topology: Topology, port: number): Record<string, string> {
  return {
    // A fixed job name keeps the series continuous across leader changes (the library's own advice).
    scrape_jobs: JSON.stringify([
      {
        job_name: "kafka-connect-integrator",
        metrics_path: METRICS_PATH,
        static_configs: [{ targets: [`*:${port}`] }],
      },
    ]),
    scrape_metadata: JSON.stringify({
      model: topology.model,
      model_uuid: topology.modelUuid,
      application: topology.app,
      charm_name: topology.charmName,
    }),
  };
}

export function scrapeUnitData(unit: string, address: string): Record<string, string> {
  return { prometheus_scrape_unit_address: address, prometheus_scrape_unit_name: unit };
}

/** Writes what differs on every metrics-endpoint relation; returns how many bags it changed. */
export async function publishScrape(
  hook: Hook,
  opts: { topology: Topology; port: number; address: string | undefined },
): Promise<number> {
  let writes = 0;
  const leader = await hook.isLeader();
  for (const relation of await hook.relations(METRICS_ENDPOINT)) {
    if (leader) writes += await setDiff(relation.localApp, scrapeAppData(opts.topology, opts.port));
    if (opts.address)
      writes += await setDiff(relation.localUnit, scrapeUnitData(hook.unitName, opts.address));
  }
  return writes;
}

async function setDiff(
  bag: { read(): Promise<Readonly<Record<string, string>>>; set(v: Record<string, string>): Promise<void> },
  want: Record<string, string>,
): Promise<number> {
  const current = await bag.read();
  const diff = Object.fromEntries(Object.entries(want).filter(([k, v]) => current[k] !== v));
  if (!Object.keys(diff).length) return 0;
  await bag.set(diff);
  return 1;
}
