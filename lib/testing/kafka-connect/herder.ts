import { MSG, RestError } from "./errors.js";
import type { Ctx, Reply } from "./rest.js";
import type { ConnectorRecord } from "./state.js";

/**
 * The herder's rules every resource applies: the connector must exist, writes wait out rebalances, and work
 * runs on the leader or the unit's owner, forwarded there as HerderRequestHandler does.
 */

/** The connector named in the path, or a 404 with the resource's own text. */
export function getRecord(ctx: Ctx, message: (c: string) => string): ConnectorRecord {
  const c = ctx.params.c!;
  const rec = ctx.engine.connectors.get(c);
  if (!rec) throw new RestError(404, message(c));
  return rec;
}

/** Config and control writes answer the retryable 409s while the group rebalances. */
export function guardRebalance(ctx: Ctx): void {
  if (!ctx.engine.inRebalance) return;
  throw new RestError(409, ctx.engine.leader === null ? MSG.noLeader : MSG.staleConfig);
}

/**
 * DistributedHerder#connectorInfo, #taskConfigs and #tasksConfig start with checkRebalanceNeeded: while a
 * rebalance is expected they fail with RebalanceNeededException, which HerderRequestHandler answers with the
 * stale-configuration 409, before looking for the connector. Status reads and the listing do not.
 */
export function guardConfigRead(ctx: Ctx): void {
  if (ctx.engine.configReadsConflict) throw new RestError(409, MSG.staleConfig);
}

/**
 * HerderRequestHandler#completeOrForwardRequest: the first worker forwards with `forward=true`, a forwarded
 * worker once more with `forward=false`, and a request that arrives with `forward=false` at the wrong worker
 * is a 409. A target nobody knows (no leader, unassigned) is the "no known leader URL" 409.
 */
async function forward(ctx: Ctx, target: number | null | undefined): Promise<Reply> {
  const fwd = ctx.query.get("forward");
  if (fwd !== null && fwd.toLowerCase() !== "true") throw new RestError(409, MSG.conflictingOperation);
  if (target === null || target === undefined) throw new RestError(409, MSG.noLeader);
  const query = new URLSearchParams(ctx.query);
  query.set("forward", fwd === null ? "true" : "false");
  return ctx.forward(target, { ...ctx.req, query: query.toString() });
}

/** Runs `local` on the leader, forwarding there from any other worker. */
export async function onLeader(ctx: Ctx, local: () => Reply | Promise<Reply>): Promise<Reply> {
  return ctx.engine.leader === ctx.w.index ? local() : forward(ctx, ctx.engine.leader);
}

/** Runs `local` on the worker that runs the unit: others reach it through the leader (two hops at most). */
export async function onOwner(ctx: Ctx, owner: number | undefined, local: () => Reply): Promise<Reply> {
  if (owner === ctx.w.index) return local();
  return forward(ctx, ctx.engine.leader === ctx.w.index ? owner : ctx.engine.leader);
}
