import { randomBytes } from "node:crypto";

/**
 * Juju secret URIs. Three forms name the same secret: `secret:<id>`, `secret://<model-uuid>/<id>` and a bare
 * `<id>`. The id is an xid: 12 bytes as 20 chars of lowercase base32hex; the last char carries one data bit
 * and four zero bits, so it is always `0` or `g`. Random `[a-z0-9]{20}` ids are NOT valid xids.
 */
export interface SecretUri {
  readonly id: string;
  readonly modelUuid?: string;
}

const XID = /^[0-9a-v]{19}[0g]$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const BASE32HEX = "0123456789abcdefghijklmnopqrstuv";

export function isXid(id: string): boolean {
  return XID.test(id);
}

export function isModelUuid(uuid: string): boolean {
  return UUID.test(uuid);
}

export class SecretUriError extends Error {
  override name = "SecretUriError";
}

/** Parses any of the three forms; throws SecretUriError with Juju's wording otherwise. */
export function parseSecretUri(text: string): SecretUri {
  const s = text.trim();
  let id = s;
  let modelUuid: string | undefined;
  if (s.startsWith("secret://")) {
    const rest = s.slice("secret://".length);
    const slash = rest.indexOf("/");
    if (slash < 0) throw new SecretUriError(`secret URI "${text}" not valid`);
    modelUuid = rest.slice(0, slash);
    id = rest.slice(slash + 1);
    if (!isModelUuid(modelUuid)) throw new SecretUriError(`secret URI "${text}" not valid`);
  } else if (s.startsWith("secret:")) {
    id = s.slice("secret:".length);
  }
  if (!isXid(id)) throw new SecretUriError(`secret URI "${text}" not valid`);
  return modelUuid === undefined ? { id } : { id, modelUuid };
}

/** `secret:<id>` unless a model uuid is known, then `secret://<uuid>/<id>` (what Juju prints). */
export function formatSecretUri(uri: SecretUri): string {
  return uri.modelUuid ? `secret://${uri.modelUuid}/${uri.id}` : `secret:${uri.id}`;
}

/** True when two URIs (in any form) name the same secret. */
export function sameSecret(a: string, b: string): boolean {
  try {
    return parseSecretUri(a).id === parseSecretUri(b).id;
  } catch {
    return false;
  }
}

// Seeded on first use, not at import: a hook does no work until it is asked to.
let counter = -1;
let machine: Buffer | undefined;

/** A new xid as Juju makes them: 4-byte time, 3-byte machine, 2-byte pid, 3-byte counter. */
export function newXid(now: number = Date.now()): string {
  if (!machine) {
    machine = randomBytes(3);
    counter = randomBytes(3).readUIntBE(0, 3);
  }
  const b = Buffer.alloc(12);
  b.writeUInt32BE(Math.floor(now / 1000) >>> 0, 0);
  machine.copy(b, 4);
  b.writeUInt16BE(process.pid & 0xffff, 7);
  counter = (counter + 1) & 0xffffff;
  b.writeUIntBE(counter, 9, 3);
  return encodeBase32Hex(b);
}

function encodeBase32Hex(bytes: Buffer): string {
  let out = "";
  let acc = 0;
  let bits = 0;
  for (const byte of bytes) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32HEX[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32HEX[(acc << (5 - bits)) & 31];
  return out;
}

/** Secret content keys: lowercase, start with a letter, at least 3 chars, single dashes between. */
export const SECRET_KEY = /^([a-z](?:-?[a-z0-9]){2,})$/;

export function invalidSecretKeys(content: Record<string, string>): string[] {
  return Object.keys(content).filter((k) => !SECRET_KEY.test(k));
}
