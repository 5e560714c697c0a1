import type { Hook } from "../juju/index.js";
import { removePluginDirs } from "./plugin-fetcher/dirs.js";
import { PluginFetchError } from "./plugin-fetcher/errors.js";
// Types only: the fetcher (undici, tar) is imported when a download is due, so a provider's routine hooks,
// which find every plugin installed, never load it (a bundled charm gets it as a chunk).
import type { FetchedPlugin, FetchPluginOptions } from "./plugin-fetcher/index.js";
import type { IntegrationRequest } from "./provider.js";
import { DEFAULT_ENDPOINT } from "./requirer.js";
import { SeenStore, stored } from "./seen.js";

/** A plugin this unit installed for a relation, and from which URL. */
export interface InstalledPlugin {
  readonly pluginUrl: string;
  readonly dir: string;
  readonly sha512: string;
}

export type InstallOutcome =
  | {
      readonly relationId: string;
      readonly state: "installed";
      readonly plugin: InstalledPlugin;
      /** Installed by this call (new or replaced): the workers must restart to load it. */
      readonly changed: boolean;
    }
  | { readonly relationId: string; readonly state: "not-required" }
  | { readonly relationId: string; readonly state: "failed"; readonly error: PluginFetchError };

export interface PluginInstallerOptions {
  /** The workers' plugin.path. */
  readonly pluginRoot: string;
  readonly endpoint?: string;
  /** Limits, timeouts, retries and CA for each download (see fetchPlugin). */
  readonly fetch?: Omit<FetchPluginOptions, "url" | "pluginRoot" | "relationId">;
}

/**
 * Keeps each relation's plugin installed on this unit. What was installed from which URL is remembered in the
 * unit's state store, so a download that failed is tried again on the next hook (update-status comes every few
 * minutes) instead of being forgotten, and a changed plugin-url is installed again: Canonical's provider does
 * neither, and its users get stuck. Call `ensure()` on every hook; it downloads only what is missing.
 */
export class PluginInstaller {
  private readonly seen: SeenStore<InstalledPlugin>;

  constructor(
    hook: Hook,
    private readonly options: PluginInstallerOptions,
  ) {
    this.seen = new SeenStore(hook, `${options.endpoint ?? DEFAULT_ENDPOINT}.plugin`, (v) => {
      const o = stored.object(v);
      const [pluginUrl, dir, sha512] = [o?.pluginUrl, o?.dir, o?.sha512].map(stored.string);
      return pluginUrl && dir && sha512 ? { pluginUrl, dir, sha512 } : undefined;
    });
  }

  installed(relationId: string): Promise<InstalledPlugin | undefined> {
    return this.seen.get(relationId);
  }

  /** Installs every requested plugin that is missing or whose URL changed; one outcome per request. */
  async ensure(requests: readonly IntegrationRequest[]): Promise<InstallOutcome[]> {
    const outcomes: InstallOutcome[] = [];
    for (const request of requests) outcomes.push(await this.ensureOne(request));
    return outcomes;
  }

  /** relation-broken: removes the relation's plugin directories and forgets them. */
  async remove(relationId: string): Promise<string[]> {
    await this.seen.delete(relationId);
    return removePluginDirs(this.options.pluginRoot, relationNumber(relationId));
  }

  private async ensureOne(request: IntegrationRequest): Promise<InstallOutcome> {
    const { relationId, pluginUrl } = request;
    if (!request.pluginRequired) return { relationId, state: "not-required" };
    const before = await this.seen.get(relationId);
    if (before?.pluginUrl === pluginUrl)
      return { relationId, state: "installed", plugin: before, changed: false };
    let fetched: FetchedPlugin;
    try {
      const { fetchPlugin } = await import("./plugin-fetcher/index.js");
      fetched = await fetchPlugin({
        ...this.options.fetch,
        url: pluginUrl,
        pluginRoot: this.options.pluginRoot,
        relationId: relationNumber(relationId),
      });
    } catch (err) {
      if (err instanceof PluginFetchError) return { relationId, state: "failed", error: err };
      throw err;
    }
    const plugin = { pluginUrl, dir: fetched.dir, sha512: fetched.sha512 };
    // The new directory is complete before the old one goes, so a worker never sees a half-swapped plugin.
    await removePluginDirs(this.options.pluginRoot, relationNumber(relationId), { except: fetched.dir });
    await this.seen.set(relationId, plugin);
    return { relationId, state: "installed", plugin, changed: before?.dir !== fetched.dir };
  }
}

/**
 * The unit status the outcomes call for: blocked when a person must fix something (404, bad checksum, unsafe
 * archive), waiting when a later try may succeed, undefined when every plugin is in place.
 */
export function pluginInstallStatus(
  outcomes: readonly InstallOutcome[],
): { status: "blocked" | "waiting"; message: string } | undefined {
  const failed = outcomes.flatMap((o) => (o.state === "failed" ? [o.error] : []));
  const blocked = failed.find((e) => e.jujuStatus === "blocked");
  if (blocked) return { status: "blocked", message: blocked.statusMessage };
  if (failed[0]) return { status: "waiting", message: failed[0].statusMessage };
  return undefined;
}

function relationNumber(relationId: string): number {
  return Number(relationId.slice(relationId.lastIndexOf(":") + 1));
}
