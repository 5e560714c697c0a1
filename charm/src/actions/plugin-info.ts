import { ActionFailure } from "./failure.js";
import { humanBytes } from "./format.js";
import type { ActionRun } from "./run.js";

/** `plugin-info`: what this unit serves (desired state), where, and what its server reports (snapshot). */
export async function pluginInfo(run: ActionRun): Promise<void> {
  const [desired, snapshot, url] = await Promise.all([
    run.deps.desired(),
    run.deps.snapshot(),
    run.deps.pluginUrl(run.hook),
  ]);
  if (!desired) {
    throw new ActionFailure(
      "this unit has not set up its plugin server yet: try again once its install hook ran",
    );
  }
  const server = snapshot?.pluginServer;
  const plugin = desired.plugin;
  const lines = [`mode: ${plugin.mode}`];
  const results: Record<string, unknown> = { mode: plugin.mode, port: desired.port };
  if (plugin.mode === "serve") {
    Object.assign(results, { size: plugin.size, sha512: plugin.sha512 });
    lines.push(`size: ${humanBytes(plugin.size)} (${plugin.size} bytes)`, `sha512: ${plugin.sha512}`);
  } else if (plugin.mode === "missing") {
    lines.push(
      `resource connect-plugin is missing: attach it (juju attach-resource ${run.app} connect-plugin=plugin.tar), or set plugin-mode to not-required`,
    );
  } else {
    lines.push("no plugin to serve: the provider is told NOT-REQUIRED");
  }
  if (url) {
    results.url = url;
    lines.push(`url: ${url}`);
  }
  if (server) {
    Object.assign(results, {
      listening: server.listening,
      downloads: server.downloads,
      "bytes-served": server.bytesServed,
      ...(server.error ? { error: server.error } : {}),
    });
    if (server.sha512 !== undefined && plugin.mode === "serve" && server.sha512 !== plugin.sha512) {
      lines.push("the server still serves an older tarball: it switches on its next cycle");
    }
    lines.push(
      `server: ${server.listening ? `listening on port ${server.port}` : "not listening"}${server.error ? ` (${server.error})` : ""}`,
      `downloads: ${server.downloads} (${humanBytes(server.bytesServed)} served)`,
    );
  } else {
    lines.push("server: no report from the workload yet");
  }
  await run.action.set({ ...results, summary: lines.join("\n") });
}
