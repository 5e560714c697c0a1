/**
 * The parts of a charm's metadata the runtime needs: endpoints (to know peers from non-peers), config options
 * (to type config-get) and actions (to validate params). Shaped like charmcraft.yaml so a parsed file fits.
 */
export type ConfigOptionType = "string" | "int" | "float" | "boolean" | "secret";

export interface ConfigOption {
  readonly type: ConfigOptionType;
  readonly default?: string | number | boolean;
  readonly description?: string;
}

export interface EndpointSpec {
  readonly interface: string;
  readonly limit?: number;
  readonly optional?: boolean;
}

export interface ActionSpec {
  readonly description?: string;
  /** JSON Schema of the params object's properties, as in charmcraft.yaml. */
  readonly params?: Readonly<Record<string, unknown>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean;
}

export interface CharmMeta {
  readonly name: string;
  readonly requires?: Readonly<Record<string, EndpointSpec>>;
  readonly provides?: Readonly<Record<string, EndpointSpec>>;
  readonly peers?: Readonly<Record<string, EndpointSpec>>;
  readonly config?: { readonly options?: Readonly<Record<string, ConfigOption>> };
  readonly actions?: Readonly<Record<string, ActionSpec>>;
  readonly storage?: Readonly<Record<string, unknown>>;
  readonly containers?: Readonly<Record<string, unknown>>;
  readonly resources?: Readonly<Record<string, unknown>>;
}

export type EndpointRole = "requires" | "provides" | "peers";

/** Which section declares an endpoint, or undefined when the charm does not declare it. */
export function endpointRole(meta: CharmMeta, endpoint: string): EndpointRole | undefined {
  if (meta.peers?.[endpoint]) return "peers";
  if (meta.requires?.[endpoint]) return "requires";
  if (meta.provides?.[endpoint]) return "provides";
  return undefined;
}

export function allEndpoints(meta: CharmMeta): string[] {
  return [
    ...Object.keys(meta.requires ?? {}),
    ...Object.keys(meta.provides ?? {}),
    ...Object.keys(meta.peers ?? {}),
  ];
}

type OptionsOf<M extends CharmMeta> = NonNullable<NonNullable<M["config"]>["options"]>;

/**
 * TypeScript type of a config map. With options declared `as const` every option gets its own type, and an
 * option without a default may be absent; with options only known at run time it is a string-keyed map.
 */
export type ConfigOf<M extends CharmMeta> = {
  readonly [K in keyof OptionsOf<M>]:
    | ConfigValue<OptionsOf<M>[K]["type"]>
    | (OptionsOf<M>[K] extends { default: unknown } ? never : undefined);
};

type ConfigValue<T> = T extends "int" | "float"
  ? number
  : T extends "boolean"
    ? boolean
    : T extends "string" | "secret"
      ? string
      : never;
