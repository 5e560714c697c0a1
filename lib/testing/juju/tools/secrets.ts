import { parse as parseYaml } from "yaml";
import { APP_NAME, UNIT_NAME } from "../../../juju/names.js";
import { newXid, parseSecretUri, SECRET_KEY } from "../../../juju/secret-uri.js";
import type { SecretRecord } from "../model.js";
import type { HookSession, ToolCall } from "../session.js";
import {
  FORMAT_OPTIONS,
  noExtraArgs,
  type OptionSpec,
  ok,
  parseOptions,
  RELATION_OPTION,
  SECRET_FORMAT_OPTIONS,
  ToolFailure,
  usage,
} from "./cli.js";
import { readText } from "./relations.js";

const ROTATE = ["never", "hourly", "daily", "weekly", "monthly", "quarterly", "yearly"];
const MAX_CONTENT = 1_000_000;

const UPSERT_OPTIONS = {
  expire: { kind: "string" },
  rotate: { kind: "string" },
  description: { kind: "string" },
  label: { kind: "string" },
  file: { kind: "string" },
  owner: { kind: "string" },
} as const satisfies OptionSpec;

/** `secret URI "x" not valid`, as Juju's ParseURI words it. */
function uriArg(text: string): string {
  try {
    return parseSecretUri(text).id;
  } catch {
    throw usage(`secret URI "${text}" not valid`);
  }
}

function checkMetadata(opts: Record<string, string | boolean | undefined>): void {
  const owner = opts.owner as string | undefined;
  if (owner !== undefined && owner !== "application" && owner !== "unit") {
    throw usage(`secret owner "${owner}" not valid`);
  }
  const rotate = opts.rotate as string | undefined;
  if (rotate !== undefined && !ROTATE.includes(rotate)) throw usage(`rotate policy "${rotate}" not valid`);
  const expire = opts.expire as string | undefined;
  if (expire !== undefined) {
    const duration = /^-?(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(expire);
    if (duration && expire.startsWith("-")) throw usage(`negative expire duration "${expire}" not valid`);
    const time = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/.test(expire);
    if (!duration && !time) throw usage(`expire time or duration "${expire}" not valid`);
  }
}

/** Content from `key=value`, `key#base64=…`, `key#file=path` and `--file` (JSON or YAML; file keys win). */
function readContent(
  call: ToolCall,
  args: readonly string[],
  file: string | undefined,
): Record<string, string> {
  const content: Record<string, string> = {};
  const put = (rawKey: string, value: string, fromFile: boolean) => {
    let key = rawKey;
    let v = value;
    if (key.endsWith("#base64")) {
      key = key.slice(0, -"#base64".length);
      v = Buffer.from(value, "base64").toString("utf8");
    } else if (!fromFile && key.endsWith("#file")) {
      key = key.slice(0, -"#file".length);
      v = readText(call, value);
      if (Buffer.byteLength(v) > MAX_CONTENT) {
        throw usage(`secret content in file "${value}" too large: ${Buffer.byteLength(v)} bytes`);
      }
    }
    if (!SECRET_KEY.test(key)) throw usage(`key "${key}" not valid`);
    if (Buffer.from(v).toString("base64").length > MAX_CONTENT) {
      throw usage(
        `base64 encoded secret content for key "${key}" too large: ${Buffer.from(v).toString("base64").length} bytes`,
      );
    }
    content[key] = v;
  };
  for (const arg of args) {
    const eq = arg.replace(/=+$/, "").indexOf("=");
    if (eq <= 0) throw usage(`key value "${arg}" not valid`);
    put(arg.slice(0, eq), arg.slice(eq + 1), false);
  }
  if (file !== undefined) {
    const text = readText(call, file);
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      doc = parseYaml(text);
    }
    if (!doc || typeof doc !== "object" || Array.isArray(doc))
      throw usage(`invalid secret content in file "${file}"`);
    for (const [k, v] of Object.entries(doc as Record<string, unknown>)) put(k, String(v), true);
  }
  return content;
}

function owns(s: HookSession, secret: SecretRecord): boolean {
  return secretOwnedBy(secret, s.app, s.unit);
}

/** Whether `unit` (of `app`) owns the secret; a user secret (owner "model") is owned by no unit. */
export function secretOwnedBy(secret: SecretRecord, app: string, unit: string): boolean {
  if (secret.owner.kind === "model") return false;
  return secret.owner.kind === "application" ? secret.owner.app === app : secret.owner.unit === unit;
}

function ownerLabelled(s: HookSession, label: string): SecretRecord | undefined {
  return Object.values(s.draft.secrets).find((x) => owns(s, x) && x.label === label);
}

/** Owner-side write checks at invocation: an app-owned secret needs the leader. Unknown ones fail at commit. */
function ownedForWrite(s: HookSession, id: string): SecretRecord | undefined {
  const secret = s.draft.secrets[id];
  if (!secret || !owns(s, secret)) {
    s.commitErrors.push(secret ? "permission denied" : `secret "secret:${id}" not found`);
    return undefined;
  }
  if (secret.owner.kind === "application" && !s.isLeader)
    throw new ToolFailure("this unit is not the leader");
  return secret;
}

function sameContent(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

function applyMetadata(secret: SecretRecord, opts: Record<string, string | boolean | undefined>): void {
  if (typeof opts.label === "string") secret.label = opts.label;
  if (typeof opts.description === "string") secret.description = opts.description;
  if (typeof opts.expire === "string") secret.expire = opts.expire;
  if (typeof opts.rotate === "string") secret.rotate = opts.rotate;
}

export function secretAdd(s: HookSession, call: ToolCall) {
  const p = parseOptions(call.args, UPSERT_OPTIONS);
  if (p.args.length === 0 && p.opts.file === undefined) throw usage("missing secret value or filename");
  checkMetadata(p.opts);
  const content = readContent(call, p.args, p.opts.file as string | undefined);
  for (const v of Object.values(content)) if (v === "") throw new ToolFailure("empty secret value not valid");
  const ownerKind = (p.opts.owner as "application" | "unit" | undefined) ?? "application";
  if (ownerKind === "application" && !s.isLeader) throw new ToolFailure("this unit is not the leader");
  const label = p.opts.label as string | undefined;
  if (label !== undefined) {
    if (s.newLabels.has(label)) throw new ToolFailure(`secret with label "${label}" already exists`);
    s.newLabels.add(label);
    if (ownerLabelled(s, label)) s.commitErrors.push(`secret with label "${label}" already exists`);
  }
  const id = newXid();
  const secret: SecretRecord = {
    id,
    owner: ownerKind === "application" ? { kind: "application", app: s.app } : { kind: "unit", unit: s.unit },
    revisions: { "1": content },
    latest: 1,
    grants: [],
    consumers: {},
  };
  applyMetadata(secret, p.opts);
  s.draft.secrets[id] = secret;
  return ok(`secret:${id}\n`);
}

export function secretGet(s: HookSession, call: ToolCall) {
  const p = parseOptions(call.args, {
    ...SECRET_FORMAT_OPTIONS,
    label: { kind: "string" },
    peek: { kind: "bool" },
    refresh: { kind: "bool" },
  });
  const [uriText, keyArg, ...rest] = p.args;
  const label = p.opts.label as string | undefined;
  const id = uriText !== undefined ? uriArg(uriText) : undefined;
  if (id === undefined && label === undefined) throw usage("require either a secret URI or label");
  if (p.opts.peek && p.opts.refresh) throw usage("specify one of --peek or --refresh but not both");
  noExtraArgs(rest);

  let secret: SecretRecord | undefined;
  if (id !== undefined) {
    secret = s.draft.secrets[id];
    if (!secret) throw new ToolFailure(`secret "secret:${id}" not found`);
  } else {
    secret =
      ownerLabelled(s, label!) ??
      Object.values(s.draft.secrets).find((x) => x.consumers[s.unit]?.label === label);
    if (!secret) throw new ToolFailure(`consumer label "${label}" not found`);
  }

  let content: Record<string, string>;
  if (owns(s, secret)) {
    if (id !== undefined && label !== undefined) secret.label = label;
    // Owners get the latest revision. A secret-set earlier in this hook is only seen with --peek or
    // --refresh (context.go getPendingSecretValue); otherwise Juju asks the controller, which still has the
    // last committed revision. A secret created in this hook is always answered from the pending create.
    const stored = s.committed.secrets[secret.id];
    const source = p.opts.peek || p.opts.refresh || !stored ? secret : stored;
    content = source.revisions[String(source.latest)]!;
  } else {
    if (!granted(s, secret)) throw new ToolFailure("permission denied");
    const consumer = secret.consumers[s.unit] ?? {};
    secret.consumers[s.unit] = consumer;
    if (id !== undefined && label !== undefined) consumer.label = label;
    if (consumer.tracked === undefined || p.opts.refresh) consumer.tracked = secret.latest;
    const revision = p.opts.peek ? secret.latest : consumer.tracked;
    content = secret.revisions[String(revision)] ?? {};
  }

  if (keyArg !== undefined) {
    const b64 = keyArg.endsWith("#base64");
    const key = b64 ? keyArg.slice(0, -"#base64".length) : keyArg;
    const value = content[key];
    if (value === undefined) throw new ToolFailure(`secret key value "${key}" not found`);
    return s.emit(p, b64 ? Buffer.from(value).toString("base64") : value, "yaml", ["yaml", "json"]);
  }
  return s.emit(p, { ...content }, "yaml", ["yaml", "json"]);
}

/**
 * A consumer can read a secret granted to its app or to itself over a relation that still exists, or a user
 * secret granted to its app with `juju grant-secret` (no relation).
 */
function granted(s: HookSession, secret: SecretRecord): boolean {
  return secret.grants.some(
    (g) =>
      (g.to === s.app || g.to === s.unit) &&
      (g.relationId === undefined || s.draft.relations[String(g.relationId)] !== undefined),
  );
}

export function secretSet(s: HookSession, call: ToolCall) {
  const p = parseOptions(call.args, UPSERT_OPTIONS);
  const [uriText, ...kv] = p.args;
  if (uriText === undefined) throw usage("missing secret URI");
  const id = uriArg(uriText);
  checkMetadata(p.opts);
  const content =
    kv.length || p.opts.file !== undefined
      ? readContent(call, kv, p.opts.file as string | undefined)
      : undefined;
  if (content)
    for (const v of Object.values(content))
      if (v === "") throw new ToolFailure("empty secret value not valid");
  const secret = ownedForWrite(s, id);
  if (!secret) return ok();
  if (content && !sameContent(content, secret.revisions[String(secret.latest)]!)) {
    secret.latest += 1;
    secret.revisions[String(secret.latest)] = content;
  }
  applyMetadata(secret, p.opts);
  return ok();
}

export function secretRemove(s: HookSession, call: ToolCall) {
  const p = parseOptions(call.args, { revision: { kind: "string" } });
  const [uriText, ...rest] = p.args;
  if (uriText === undefined) throw usage("missing secret URI");
  const id = uriArg(uriText);
  noExtraArgs(rest);
  const revision = p.opts.revision === undefined ? 0 : Number(p.opts.revision);
  if (!Number.isInteger(revision) || revision < 0) {
    throw usage(`invalid value "${p.opts.revision}" for option --revision: parse error`);
  }
  const secret = ownedForWrite(s, id);
  if (!secret) return ok();
  if (revision === 0) delete s.draft.secrets[id];
  else {
    delete secret.revisions[String(revision)];
    if (Object.keys(secret.revisions).length === 0) delete s.draft.secrets[id];
  }
  return ok();
}

export function secretGrant(s: HookSession, call: ToolCall) {
  const p = parseOptions(call.args, { ...RELATION_OPTION, unit: { kind: "string" } });
  const [uriText, ...rest] = p.args;
  if (uriText === undefined) throw usage("missing secret URI");
  const id = uriArg(uriText);
  const rel = s.relation(p);
  const remote = Object.keys(rel.endpoints).find((a) => a !== s.app) ?? s.app;
  const unit = p.opts.unit as string | undefined;
  if (unit !== undefined) {
    if (!UNIT_NAME.test(unit)) throw usage(`unit "${unit}" not valid`);
    if (unit.slice(0, unit.lastIndexOf("/")) !== remote) {
      throw usage(`cannot specify unit "${unit}" in relation to application "${remote}"`);
    }
  }
  noExtraArgs(rest);
  const secret = s.draft.secrets[id];
  if (!secret || !owns(s, secret)) throw new ToolFailure(`secret "${id}" not found`);
  if (secret.owner.kind === "application" && !s.isLeader)
    throw new ToolFailure("this unit is not the leader");
  const appGrant = secret.grants.some((g) => g.relationId === rel.id && g.to === remote);
  if (unit !== undefined) {
    if (!appGrant && !secret.grants.some((g) => g.relationId === rel.id && g.to === unit)) {
      secret.grants.push({ relationId: rel.id, to: unit });
    }
  } else if (!appGrant) {
    if (secret.grants.some((g) => g.relationId === rel.id && g.to.startsWith(`${remote}/`))) {
      throw new ToolFailure(
        "any unit level grants need to be revoked before granting access to the corresponding application",
      );
    }
    secret.grants.push({ relationId: rel.id, to: remote });
  }
  return ok();
}

export function secretRevoke(s: HookSession, call: ToolCall) {
  const p = parseOptions(call.args, {
    ...RELATION_OPTION,
    app: { kind: "string" },
    application: { kind: "string" },
    unit: { kind: "string" },
  });
  const [uriText, ...rest] = p.args;
  if (uriText === undefined) throw usage("missing secret URI");
  const id = uriArg(uriText);
  const app = (p.opts.app ?? p.opts.application) as string | undefined;
  const unit = p.opts.unit as string | undefined;
  if (app !== undefined && !APP_NAME.test(app)) throw usage(`application "${app}" not valid`);
  if (unit !== undefined && !UNIT_NAME.test(unit)) throw usage(`unit "${unit}" not valid`);
  if (app !== undefined && unit !== undefined) throw usage("specify only one of application or unit");
  if (p.opts.relation !== undefined && app !== undefined) throw usage("do not specify both relation and app");
  if (p.opts.relation === undefined && app === undefined && unit === undefined) {
    throw usage("missing relation or application or unit");
  }
  noExtraArgs(rest);
  const target =
    unit ??
    app ??
    (() => {
      const rel = s.relation(p);
      return Object.keys(rel.endpoints).find((a) => a !== s.app) ?? s.app;
    })();
  const secret = ownedForWrite(s, id);
  if (!secret) return ok();
  secret.grants = secret.grants.filter(
    (g) => g.to !== target && !(unit === undefined && g.to.startsWith(`${target}/`)),
  );
  return ok();
}

export function secretIds(s: HookSession, call: ToolCall) {
  const p = parseOptions(call.args, FORMAT_OPTIONS);
  noExtraArgs(p.args);
  const ids = Object.values(s.draft.secrets)
    .filter((x) => owns(s, x))
    .map((x) => x.id);
  return s.emit(p, ids.length ? ids : null);
}

export function secretInfoGet(s: HookSession, call: ToolCall) {
  const p = parseOptions(call.args, { ...SECRET_FORMAT_OPTIONS, label: { kind: "string" } });
  const [uriText, ...rest] = p.args;
  const label = p.opts.label as string | undefined;
  if (uriText === undefined && label === undefined) throw usage("require either a secret URI or label");
  if (uriText !== undefined && label !== undefined)
    throw usage("specify either a secret URI or label but not both");
  noExtraArgs(rest);
  const id = uriText !== undefined ? uriArg(uriText) : undefined;
  const secret = id !== undefined ? s.draft.secrets[id] : ownerLabelled(s, label!);
  if (!secret || !owns(s, secret)) throw new ToolFailure(`secret "${id ?? label}" not found`);
  const info: Record<string, unknown> = {
    revision: secret.latest,
    label: secret.label ?? "",
    owner: secret.owner.kind,
  };
  if (secret.description) info.description = secret.description;
  if (secret.rotate) info.rotation = secret.rotate;
  if (secret.expire) info.expiry = secret.expire;
  // metadataDisplay is a Go struct: revision, label, owner, description, rotation, expiry (field order).
  return s.emit(p, { [secret.id]: info }, "yaml", ["yaml", "json"], true);
}
