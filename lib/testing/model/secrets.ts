import { newXid, parseSecretUri, SECRET_KEY } from "../../juju/secret-uri.js";
import type { ModelState, SecretRecord } from "../juju/model.js";

const MAX_CONTENT = 1_000_000;

/** Juju's checks on `juju add-secret`/`update-secret` content: valid keys, no empty values, bounded size. */
function checkContent(content: Record<string, string>): Record<string, string> {
  const keys = Object.keys(content);
  if (!keys.length) throw new Error("missing secret value");
  let size = 0;
  for (const [k, v] of Object.entries(content)) {
    if (!SECRET_KEY.test(k)) throw new Error(`key "${k}" not valid`);
    if (typeof v !== "string" || v === "") throw new Error(`empty secret value for key "${k}" not valid`);
    size += Buffer.byteLength(v);
  }
  if (size > MAX_CONTENT) throw new Error(`secret content too large: ${size} bytes`);
  return { ...content };
}

/** `juju add-secret`: a user secret owned by the model; returns its URI. */
export function addUserSecret(
  state: ModelState,
  content: Record<string, string>,
  opts: { label?: string; description?: string } = {},
): string {
  if (
    opts.label !== undefined &&
    Object.values(state.secrets).some((s) => s.owner.kind === "model" && s.label === opts.label)
  ) {
    throw new Error(`secret with name "${opts.label}" already exists`);
  }
  const id = newXid();
  const secret: SecretRecord = {
    id,
    owner: { kind: "model" },
    revisions: { "1": checkContent(content) },
    latest: 1,
    grants: [],
    consumers: {},
    ...(opts.label !== undefined ? { label: opts.label } : {}),
    ...(opts.description !== undefined ? { description: opts.description } : {}),
  };
  state.secrets[id] = secret;
  return `secret:${id}`;
}

export function userSecret(state: ModelState, uri: string): SecretRecord {
  let id: string;
  try {
    id = parseSecretUri(uri).id;
  } catch {
    throw new Error(`secret URI "${uri}" not valid`);
  }
  const secret = state.secrets[id];
  if (secret?.owner.kind !== "model") throw new Error(`secret "${uri}" not found`);
  return secret;
}

/** `juju grant-secret <uri> <app>`. */
export function grantUserSecret(state: ModelState, uri: string, app: string): void {
  if (!state.apps[app]) throw new Error(`application "${app}" not found`);
  const secret = userSecret(state, uri);
  if (!secret.grants.some((g) => g.relationId === undefined && g.to === app)) secret.grants.push({ to: app });
}

/** `juju update-secret`: a new revision (if the content differs); returns the units to wake with secret-changed. */
export function updateUserSecret(state: ModelState, uri: string, content: Record<string, string>): string[] {
  const secret = userSecret(state, uri);
  const next = checkContent(content);
  const current = secret.revisions[String(secret.latest)]!;
  const same =
    Object.keys(next).length === Object.keys(current).length &&
    Object.entries(next).every(([k, v]) => current[k] === v);
  if (same) return [];
  secret.latest += 1;
  secret.revisions[String(secret.latest)] = next;
  return Object.entries(secret.consumers)
    .filter(([unit, c]) => state.units[unit] && c.tracked !== undefined && c.tracked < secret.latest)
    .map(([unit]) => unit);
}

/** `juju remove-secret`. */
export function removeUserSecret(state: ModelState, uri: string): void {
  delete state.secrets[userSecret(state, uri).id];
}
