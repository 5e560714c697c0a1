import { readFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");

/** The npm packages a bundle of `code` (an entry importing from this repository) pulls in. */
async function bundledPackages(code: string): Promise<string[]> {
  const result = await build({
    stdin: { contents: code, loader: "ts", resolveDir: ROOT },
    bundle: true,
    write: false,
    platform: "node",
    format: "esm",
    target: "node20",
    metafile: true,
    logLevel: "silent",
    // As buildCharm does: ajv (action params only) is a chunk loaded on demand.
    external: ["ajv"],
  });
  const packages = new Set<string>();
  for (const input of Object.keys(result.metafile.inputs)) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(input);
    if (m) packages.add(m[1] === "zod" && m[2]!.startsWith("v4/classic/") ? "zod (classic)" : m[1]!);
  }
  return [...packages].sort();
}

describe("entry points: a charm bundles only what it uses", () => {
  // It bundled undici, tar, yaml and the whole of zod: 2.3 MB for a class that reads a databag.
  it("the Requirer (and the Provider) from kafka-connect-charm-kit/connect-client: zod/mini, nothing else", async () => {
    for (const name of ["ConnectClientRequirer", "ConnectClientProvider"]) {
      const code = `import { ${name} } from "./lib/connect-client/index.ts"; globalThis.keep = ${name};`;
      expect(await bundledPackages(code), name).toEqual(["zod"]);
    }
  }, 30_000);

  it("the fetcher is kafka-connect-charm-kit/plugin-fetcher, and brings its HTTP client and tar reader", async () => {
    const code =
      'import { PluginInstaller } from "./lib/connect-client/plugins.ts"; globalThis.keep = PluginInstaller;';
    const packages = await bundledPackages(code);
    expect(packages).toContain("undici");
    expect(packages).toContain("tar");
    expect(packages).not.toContain("yaml");
  }, 30_000);

  it("package.json exports both entry points, from the built files", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
      exports: Record<string, { import: string }>;
    };
    expect(pkg.exports["./connect-client"]?.import).toBe("./dist/lib/connect-client/index.js");
    expect(pkg.exports["./plugin-fetcher"]?.import).toBe("./dist/lib/connect-client/plugins.js");
  });
});
