import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, relative, sep } from "node:path";
import { create as tarCreate, extract as tarExtract } from "tar";
import { z } from "zod";
import { JAVA_CLASS, MSG, RestError } from "./errors.js";

/**
 * Plugins as the emulator sees them. A real worker scans `plugin.path` for jars; the emulator scans it for
 * small manifests, `kafka-connect-plugin.json` at any depth, that say which classes a tarball holds:
 *
 * ```json
 * { "plugins": [ { "class": "com.example.FooSinkConnector", "type": "sink", "version": "1.2.0",
 *     "maxTasks": 2, "managesOffsets": false,
 *     "config": [ { "name": "foo.url", "type": "string", "required": true, "documentation": "Where Foo is" } ] } ] }
 * ```
 * Like Kafka, a worker reads its plugin path only when it starts.
 */

export const MANIFEST_FILE = "kafka-connect-plugin.json";

export const PLUGIN_TYPES = [
  "sink",
  "source",
  "converter",
  "header_converter",
  "transformation",
  "predicate",
] as const;
export type PluginType = (typeof PLUGIN_TYPES)[number];

export const CONFIG_TYPES = [
  "BOOLEAN",
  "STRING",
  "INT",
  "SHORT",
  "LONG",
  "DOUBLE",
  "LIST",
  "CLASS",
  "PASSWORD",
] as const;
export type ConfigType = (typeof CONFIG_TYPES)[number];

export interface ConfigKeySpec {
  name: string;
  /** ConfigDef type, case-insensitive in manifests; default STRING. */
  type?: string;
  /** No default value: validation reports it missing. */
  required?: boolean;
  default?: string | null;
  documentation?: string;
  importance?: "HIGH" | "MEDIUM" | "LOW";
  group?: string;
  displayName?: string;
}

export interface PluginSpec {
  class: string;
  type: PluginType;
  version?: string;
  /** Upper bound on the tasks a connector generates (tasks = min(tasks.max, maxTasks)). */
  maxTasks?: number;
  /** Whether the connector's alterOffsets returns true (changes the offsets 200 message). */
  managesOffsets?: boolean;
  config?: ConfigKeySpec[];
}

export interface PluginManifest {
  plugins: PluginSpec[];
}

/** A plugin a worker loaded: its spec plus where it came from ("classpath" for built-ins). */
export interface PluginDescriptor extends PluginSpec {
  version: string;
  location: string;
}

const configKeySchema = z.object({
  name: z.string().min(1),
  type: z
    .string()
    .refine((t) => (CONFIG_TYPES as readonly string[]).includes(t.toUpperCase()), "unknown config type")
    .optional(),
  required: z.boolean().optional(),
  default: z.string().nullable().optional(),
  documentation: z.string().optional(),
  importance: z.enum(["HIGH", "MEDIUM", "LOW"]).optional(),
  group: z.string().optional(),
  displayName: z.string().optional(),
});

const manifestSchema = z.object({
  plugins: z.array(
    z.object({
      class: z.string().regex(/^[\w$]+(\.[\w$]+)*$/, "a Java class name"),
      type: z.enum(PLUGIN_TYPES),
      version: z.string().optional(),
      maxTasks: z.number().int().positive().optional(),
      managesOffsets: z.boolean().optional(),
      config: z.array(configKeySchema).optional(),
    }),
  ),
});

export class PluginManifestError extends Error {
  override name = "PluginManifestError";
}

export function parseManifest(json: unknown): PluginManifest {
  const result = manifestSchema.safeParse(json);
  if (!result.success)
    throw new PluginManifestError(`invalid ${MANIFEST_FILE}: ${z.prettifyError(result.error)}`);
  return result.data;
}

const mirror = (name: string, keys: ConfigKeySpec[], maxTasks?: number): PluginSpec => ({
  class: `org.apache.kafka.connect.mirror.${name}`,
  type: "source",
  ...(maxTasks === undefined ? {} : { maxTasks }),
  managesOffsets: true,
  config: [
    {
      name: "source.cluster.alias",
      required: true,
      importance: "HIGH",
      documentation: "Alias of the source cluster",
    },
    {
      name: "target.cluster.alias",
      default: "target",
      importance: "HIGH",
      documentation: "Alias of the target cluster",
    },
    ...keys,
  ],
});

/** What every worker has on its classpath, whatever the plugin path holds; versions are the worker's. */
export const BUILT_IN_PLUGINS: readonly PluginSpec[] = [
  mirror("MirrorSourceConnector", [
    { name: "topics", type: "list", default: ".*", documentation: "Topics to replicate" },
    {
      name: "replication.factor",
      type: "int",
      default: "2",
      documentation: "Replication factor of remote topics",
    },
  ]),
  mirror("MirrorCheckpointConnector", [
    { name: "groups", type: "list", default: ".*", documentation: "Consumer groups to replicate" },
    {
      name: "emit.checkpoints.interval.seconds",
      type: "long",
      default: "60",
      documentation: "Checkpoint period",
    },
  ]),
  mirror(
    "MirrorHeartbeatConnector",
    [
      {
        name: "emit.heartbeats.interval.seconds",
        type: "long",
        default: "1",
        documentation: "Heartbeat period",
      },
    ],
    1,
  ),
  { class: "org.apache.kafka.connect.json.JsonConverter", type: "converter" },
  { class: "org.apache.kafka.connect.storage.StringConverter", type: "converter" },
  { class: "org.apache.kafka.connect.converters.ByteArrayConverter", type: "converter" },
  { class: "org.apache.kafka.connect.storage.SimpleHeaderConverter", type: "header_converter" },
  { class: "org.apache.kafka.connect.transforms.InsertField$Value", type: "transformation" },
  { class: "org.apache.kafka.connect.transforms.RegexRouter", type: "transformation" },
  { class: "org.apache.kafka.connect.transforms.predicates.TopicNameMatches", type: "predicate" },
];

export function builtInPlugins(kafkaVersion: string): PluginDescriptor[] {
  return BUILT_IN_PLUGINS.map((p) => ({ ...p, version: kafkaVersion, location: "classpath" }));
}

/**
 * Reads every manifest under `pluginPath` (what a worker does when it starts). A malformed manifest is skipped,
 * as Kafka skips a plugin it cannot load; its error is returned so the emulator can show it.
 */
export async function scanPluginPath(
  pluginPath: string,
): Promise<{ plugins: PluginDescriptor[]; problems: string[] }> {
  const plugins: PluginDescriptor[] = [];
  const problems: string[] = [];
  let entries: string[];
  try {
    entries = (await readdir(pluginPath, { recursive: true })).map(String).sort();
  } catch {
    return { plugins, problems };
  }
  for (const entry of entries) {
    if (basename(entry) !== MANIFEST_FILE) continue;
    const file = join(pluginPath, entry);
    try {
      const manifest = parseManifest(JSON.parse(await readFile(file, "utf8")));
      // The plugin's location is its top-level entry in plugin.path, like a jar or a plugin directory.
      const location = join(pluginPath, relative(pluginPath, file).split(sep)[0]!);
      for (const p of manifest.plugins) plugins.push({ ...p, version: p.version ?? "null", location });
    } catch (e) {
      problems.push(`${file}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { plugins, problems };
}

export const simpleName = (cls: string): string => cls.slice(cls.lastIndexOf(".") + 1);

export const isConnector = (p: PluginSpec): boolean => p.type === "source" || p.type === "sink";

/** One entry per class: the same class in two plugin locations is one alias target, not an ambiguity. */
function distinctClasses(plugins: PluginDescriptor[]): PluginDescriptor[] {
  const seen = new Set<string>();
  return plugins.filter((p) => !seen.has(p.class) && seen.add(p.class));
}

/** `PluginDesc#toString`, as Plugins#newConnector lists the available connectors. */
export function pluginDescString(p: PluginDescriptor): string {
  return (
    `PluginDesc{klass=class ${p.class}, name='${p.class}', version='${p.version}', encodedVersion=${p.version}, ` +
    `type=${p.type}, typeName='${p.type}', location='${p.location}'}`
  );
}

/** Kafka's listing order: sinks, sources, transformations, predicates, converters, header converters; by class. */
export function listingOrder(plugins: readonly PluginDescriptor[]): PluginDescriptor[] {
  const rank: Record<PluginType, number> = {
    sink: 0,
    source: 1,
    transformation: 2,
    predicate: 3,
    converter: 4,
    header_converter: 5,
  };
  return [...plugins].sort(
    (a, b) => rank[a.type] - rank[b.type] || (a.class < b.class ? -1 : a.class > b.class ? 1 : 0),
  );
}

/**
 * Plugins#newConnector: the full class name, else an alias (the simple name, with or without the
 * `Connector` suffix). No match is a ConnectException (500); two matches ask for the full name.
 */
export function resolveConnector(
  plugins: readonly PluginDescriptor[],
  classOrAlias: string,
): PluginDescriptor {
  const connectors = plugins
    .filter(isConnector)
    .sort((a, b) => (a.class < b.class ? -1 : a.class > b.class ? 1 : 0));
  const exact = connectors.find((p) => p.class === classOrAlias);
  if (exact) return exact;
  const matches = distinctClasses(
    connectors.filter(
      (p) => simpleName(p.class) === classOrAlias || simpleName(p.class) === `${classOrAlias}Connector`,
    ),
  );
  const names = (list: PluginDescriptor[]) => list.map(pluginDescString).join(", ");
  if (matches.length === 0)
    throw new RestError(
      500,
      `Failed to find any class that implements Connector and which name matches ${classOrAlias}, ` +
        `available connectors are: ${names(connectors)}`,
    );
  if (matches.length > 1)
    throw new RestError(
      500,
      `More than one connector matches alias ${classOrAlias}. Please use full package and class name instead. ` +
        `Classes found: ${names(matches)}`,
    );
  return matches[0]!;
}

/** Any plugin by class or alias, for `GET /connector-plugins/{p}/config` (404 `Unknown plugin p.`). */
export function resolvePlugin(plugins: readonly PluginDescriptor[], classOrAlias: string): PluginDescriptor {
  const exact = plugins.find((p) => p.class === classOrAlias);
  if (exact) return exact;
  const matches = distinctClasses(
    plugins.filter((p) => {
      const s = simpleName(p.class);
      return s === classOrAlias || (isConnector(p) && s === `${classOrAlias}Connector`);
    }),
  );
  if (matches.length !== 1) throw new RestError(404, MSG.unknownPlugin(classOrAlias));
  return matches[0]!;
}

/** The class name the validate endpoint would put in front of a herder error it does not unwrap. */
export const wrappedConnectException = (message: string) => `${JAVA_CLASS.connect}: ${message}`;

/**
 * Builds a gzipped plugin tarball holding the manifest (and any extra files) under one top-level directory,
 * the way plugins are shipped; `installPlugin` and the CLI's `--plugin` take it.
 */
export async function buildPluginTarball(
  manifest: PluginManifest,
  opts: { root?: string; files?: Record<string, string | Buffer> } = {},
): Promise<Buffer> {
  const checked = parseManifest(manifest);
  const first = checked.plugins[0];
  const root = opts.root ?? (first ? simpleName(first.class).toLowerCase() : "plugin");
  const work = await mkdtemp(join(tmpdir(), "kc-plugin-build-"));
  try {
    await mkdir(join(work, root), { recursive: true });
    await writeFile(join(work, root, MANIFEST_FILE), `${JSON.stringify(checked, null, 2)}\n`);
    for (const [name, content] of Object.entries(opts.files ?? {})) {
      const target = join(work, root, name);
      if (!target.startsWith(join(work, root) + sep))
        throw new PluginManifestError(`file outside the plugin: ${name}`);
      await mkdir(join(target, ".."), { recursive: true });
      await writeFile(target, content);
    }
    const file = join(work, "plugin.tar.gz");
    await tarCreate({ gzip: true, portable: true, cwd: work, file }, [root]);
    return await readFile(file);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Extracts a plugin tarball (bytes or a file path) into a new directory under `pluginPath` and returns it.
 * tar drops absolute paths and `..` entries, so nothing lands outside that directory.
 */
export async function extractPluginTarball(pluginPath: string, tarball: Buffer | string): Promise<string> {
  await mkdir(pluginPath, { recursive: true });
  const stem =
    typeof tarball === "string"
      ? basename(tarball)
          .replace(/\.(tar\.gz|tgz|tar)$/, "")
          .replace(/[^\w.-]/g, "_")
      : "plugin";
  let dir = join(pluginPath, stem);
  for (let n = 2; await exists(dir); n++) dir = join(pluginPath, `${stem}-${n}`);
  await mkdir(dir);
  if (typeof tarball === "string") {
    await tarExtract({ file: tarball, cwd: dir });
    return dir;
  }
  const work = await mkdtemp(join(tmpdir(), "kc-plugin-install-"));
  try {
    const file = join(work, "plugin.tar.gz");
    await writeFile(file, tarball);
    await tarExtract({ file, cwd: dir });
    return dir;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
