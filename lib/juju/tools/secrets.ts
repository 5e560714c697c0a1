import { exec, execJson, withValueFiles } from "./exec.js";
import type { ToolRunner } from "./runner.js";

export type SecretContent = Record<string, string>;

export interface SecretMetadataOptions {
  readonly label?: string;
  readonly description?: string;
  /** Duration (`24h`) or RFC3339 time. */
  readonly expire?: string;
  readonly rotate?: "never" | "hourly" | "daily" | "weekly" | "monthly" | "quarterly" | "yearly";
}

export interface SecretInfo {
  readonly id: string;
  readonly revision: number;
  readonly label?: string;
  readonly description?: string;
  readonly owner: "application" | "unit";
  readonly rotation?: string;
  readonly expiry?: string;
}

function metadataArgs(o: SecretMetadataOptions): string[] {
  const args: string[] = [];
  if (o.label !== undefined) args.push("--label", o.label);
  if (o.description !== undefined) args.push("--description", o.description);
  if (o.expire !== undefined) args.push("--expire", o.expire);
  if (o.rotate !== undefined) args.push("--rotate", o.rotate);
  return args;
}

/** `secret-add` with values in private files (`key#file=`); prints the new URI. */
export async function secretAdd(
  runner: ToolRunner,
  content: Readonly<SecretContent>,
  opts: SecretMetadataOptions & { owner?: "application" | "unit" } = {},
): Promise<string> {
  const meta = [...(opts.owner ? ["--owner", opts.owner] : []), ...metadataArgs(opts)];
  const out = await withValueFiles(content, (pairs) => exec(runner, "secret-add", [...meta, ...pairs]));
  return out.trim();
}

/** Selects a secret by URI, by label, or by URI while (re)setting this consumer's label. */
export type SecretRef = { readonly uri: string; readonly label?: string } | { readonly label: string };

function refArgs(ref: SecretRef): string[] {
  const args: string[] = [];
  if ("uri" in ref) args.push(ref.uri);
  if (ref.label !== undefined) args.push("--label", ref.label);
  return args;
}

/**
 * `secret-get`. Default: the revision this unit tracks (the first read pins it to the latest). `refresh`
 * moves the tracking to the latest revision; `peek` reads the latest once without moving.
 */
export async function secretGet(
  runner: ToolRunner,
  ref: SecretRef,
  opts: { refresh?: boolean; peek?: boolean } = {},
): Promise<SecretContent> {
  const args = [...refArgs(ref), ...(opts.refresh ? ["--refresh"] : []), ...(opts.peek ? ["--peek"] : [])];
  return (await execJson<SecretContent | null>(runner, "secret-get", args)) ?? {};
}

/** `secret-set`: new content (identical content makes no new revision) and/or metadata. */
export async function secretSet(
  runner: ToolRunner,
  uri: string,
  content: Readonly<SecretContent> | undefined,
  opts: SecretMetadataOptions = {},
): Promise<void> {
  const meta = [uri, ...metadataArgs(opts)];
  if (content === undefined) {
    await exec(runner, "secret-set", meta);
    return;
  }
  await withValueFiles(content, (pairs) => exec(runner, "secret-set", [...meta, ...pairs]));
}

/** `secret-grant <uri> -r ID [--unit U]`: let the remote app (or one unit) read the secret. */
export async function secretGrant(
  runner: ToolRunner,
  uri: string,
  relationId: string,
  opts: { unit?: string } = {},
): Promise<void> {
  await exec(runner, "secret-grant", [uri, "-r", relationId, ...(opts.unit ? ["--unit", opts.unit] : [])]);
}

export async function secretRevoke(
  runner: ToolRunner,
  uri: string,
  relationId: string,
  opts: { unit?: string } = {},
): Promise<void> {
  await exec(runner, "secret-revoke", [uri, "-r", relationId, ...(opts.unit ? ["--unit", opts.unit] : [])]);
}

/** `secret-remove <uri> [--revision N]`: the whole secret, or one revision of it. */
export async function secretRemove(runner: ToolRunner, uri: string, opts: { revision?: number } = {}) {
  await exec(runner, "secret-remove", [
    uri,
    ...(opts.revision !== undefined ? ["--revision", String(opts.revision)] : []),
  ]);
}

/** `secret-ids` → URIs of the secrets this unit owns. Juju prints bare xids; we return `secret:<id>`. */
export async function secretIds(runner: ToolRunner): Promise<string[]> {
  const ids = (await execJson<string[] | null>(runner, "secret-ids", [])) ?? [];
  return ids.map((id) => (id.startsWith("secret:") ? id : `secret:${id}`));
}

/**
 * `secret-info-get <uri> | --label L` → metadata of a secret this unit owns. Juju keys it by the bare xid; `id`
 * is `secret:<id>`, the form secretAdd and secretIds return.
 */
export async function secretInfoGet(runner: ToolRunner, ref: SecretRef): Promise<SecretInfo> {
  const args = "uri" in ref ? [ref.uri] : ["--label", ref.label];
  const map = await execJson<Record<string, Omit<SecretInfo, "id">>>(runner, "secret-info-get", args);
  const [id, info] = Object.entries(map ?? {})[0] ?? [];
  if (!id || !info) throw new Error("secret-info-get printed no secret");
  return { id: id.startsWith("secret:") ? id : `secret:${id}`, ...info };
}
