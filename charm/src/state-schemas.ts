import * as z from "zod/mini";
import { ConnectorDesiredState, DesiredConnector, Hold } from "../common/desired-state.js";

/**
 * The shapes of the JSON the hooks keep for themselves (state-dir files, peer databag values): the one source
 * of truth for their types. Hooks never load this module (nor zod): they validate with the code generated from
 * it (charm/common/generated/validators.ts, `npm run validators`); only that generator and tests import it.
 */

/** What this unit's hooks remember between runs (hook-state.ts). */
export const HookState = z.strictObject({
  /** Key of the last verified publication: relation, port, sha512. */
  published: z.optional(z.string()),
  openedPort: z.optional(z.int()),
  /** The workload's listen address from network-get, reused by routine hooks (which make no network call). */
  bindAddress: z.optional(z.string()),
  /**
   * Relation ids (`connect-client:3`) this unit itself departed (remove-unit): its relation-broken then means
   * "I am leaving", not "the relation is gone", so it must not delete the application's connectors.
   */
  leftRelations: z.optional(z.array(z.string()).check(z.maxLength(64))),
  /** The desired generation at which the connectors, access, holds or policy last changed. */
  declaredGeneration: z.optional(z.int().check(z.minimum(0))),
});
export type HookState = z.infer<typeof HookState>;

/** The last good resolved connectors (desired.ts). */
export const LastGood = z.strictObject({
  /** sha256 of the `connectors` text these were resolved from. */
  textSha: z.string(),
  /** The owner suffix the names were made with (a new relation means new names). */
  suffix: z.string(),
  connectors: z.array(DesiredConnector),
});
export type LastGood = z.infer<typeof LastGood>;

/** The parsed `connectors` option, cached by the sha256 of its text (config/parse-cache.ts). */
export const ParseCache = z.strictObject({
  sha256: z.string(),
  result: z.union([
    z.strictObject({
      ok: z.literal(true),
      declarations: z.array(
        z.strictObject({
          declared: z.string(),
          className: z.string(),
          tasksMax: z.int().check(z.positive()),
          config: z.record(z.string(), z.string()),
          state: ConnectorDesiredState,
          declarationHash: z.string(),
        }),
      ),
    }),
    z.strictObject({
      ok: z.literal(false),
      problems: z.array(z.strictObject({ key: z.string(), message: z.string() })),
    }),
  ]),
});
export type ParseCache = z.infer<typeof ParseCache>;

/** Which resource file the plugin copy was made from (plugin.ts). */
export const CopyStamp = z.strictObject({
  source: z.string(),
  size: z.number(),
  mtimeMs: z.number(),
  sha512: z.string().check(z.regex(/^[0-9a-f]{128}$/)),
});
export type CopyStamp = z.infer<typeof CopyStamp>;

/** The peer app databag's `holds` value, by declared name (peers.ts). */
export const Holds = z.record(z.string(), Hold);
export type Holds = z.infer<typeof Holds>;
