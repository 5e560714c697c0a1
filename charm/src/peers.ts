import type { Hook, Relation } from "../../lib/juju/index.js";
import type { Hold, RestartHistory, RestartRecord } from "../common/desired-state.js";
import { isHolds, isRestartHistory } from "../common/generated/validators.js";
import type { Validator } from "../common/json-check.js";
import { parseJson } from "./json-file.js";
import type { Holds } from "./state-schemas.js";

/**
 * Shared state in the peer relation's app databag (the leader writes, every unit reads):
 * `holds` (pauses and stops made by actions) and `restart-history` (the workload's restart bookkeeping, so a
 * new leader's workload picks up where the old one stopped). Values are JSON, bounded and validated: a
 * malformed value reads as empty, never as a crash.
 */

export const PEER_ENDPOINT = "cluster";
export const HOLDS_KEY = "holds";
export const HISTORY_KEY = "restart-history";
/** Databag values we accept; the history of 500 connectors is far below this. */
export const MAX_PEER_VALUE_BYTES = 512 * 1024;

export type { Holds } from "./state-schemas.js";

function parseBounded<T>(text: string | undefined, isValid: Validator<T>): T | undefined {
  return text && text.length <= MAX_PEER_VALUE_BYTES ? parseJson(text, isValid) : undefined;
}

export function parseHolds(text: string | undefined): Holds {
  return parseBounded(text, isHolds) ?? {};
}

export function parseHistory(text: string | undefined): RestartHistory {
  return parseBounded(text, isRestartHistory) ?? {};
}

/** Newest `lastRestartAt` wins per connector; a record without one loses to any that has one. */
export function mergeHistory(a: RestartHistory, b: RestartHistory): RestartHistory {
  const out: Record<string, RestartRecord> = { ...a };
  for (const [name, rec] of Object.entries(b)) {
    const mine = out[name];
    if (!mine || (rec.lastRestartAt ?? -1) > (mine.lastRestartAt ?? -1)) out[name] = rec;
  }
  return out;
}

/** Stable text of a JSON value with sorted keys, so equal content is never rewritten. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
      : v,
  );
}

export async function peerRelation(hook: Hook): Promise<Relation | undefined> {
  return (await hook.relations(PEER_ENDPOINT))[0];
}

export interface PeerView {
  readonly holds: Holds;
  readonly history: RestartHistory;
}

export async function readPeers(hook: Hook): Promise<PeerView> {
  const peer = await peerRelation(hook);
  if (!peer) return { holds: {}, history: {} };
  const bag = await peer.localApp.read();
  return { holds: parseHolds(bag[HOLDS_KEY]), history: parseHistory(bag[HISTORY_KEY]) };
}

/**
 * Leader: merges the workload's history into the peer databag's, writing only when the content changed.
 * Returns the merged history (what seeds `desired.history`).
 */
export async function publishHistory(hook: Hook, fromWorkload: RestartHistory): Promise<RestartHistory> {
  const peer = await peerRelation(hook);
  if (!peer) return fromWorkload;
  const bag = await peer.localApp.read();
  const current = parseHistory(bag[HISTORY_KEY]);
  const merged = mergeHistory(current, fromWorkload);
  const text = canonicalJson(merged);
  if (text !== canonicalJson(current) && text.length <= MAX_PEER_VALUE_BYTES) {
    await peer.localApp.set({ [HISTORY_KEY]: text });
  }
  return merged;
}

/** Leader: sets (or clears, with null) one connector's hold in the peer databag. Returns every hold after. */
export async function writeHold(hook: Hook, declared: string, hold: Hold | null): Promise<Holds> {
  const peer = await peerRelation(hook);
  const current = peer ? parseHolds((await peer.localApp.read())[HOLDS_KEY]) : {};
  const next: Holds = { ...current };
  if (hold) next[declared] = hold;
  else delete next[declared];
  if (peer && canonicalJson(next) !== canonicalJson(current)) {
    await peer.localApp.set({ [HOLDS_KEY]: Object.keys(next).length ? canonicalJson(next) : "" });
  }
  return next;
}

/** Holds whose connector's declaration changed (or went away) end by themselves. */
export function liveHolds(holds: Holds, hashes: ReadonlyMap<string, string>): Holds {
  return Object.fromEntries(
    Object.entries(holds).filter(([name, h]) => hashes.get(name) === h.declarationHash),
  );
}
