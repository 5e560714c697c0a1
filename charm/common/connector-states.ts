/**
 * The states a connector may be declared in. Its own zod-free module: hooks check declarations against it
 * without loading desired-state.ts (zod), which builds its schema from it.
 */
export const CONNECTOR_STATES = ["running", "paused", "stopped"] as const;
