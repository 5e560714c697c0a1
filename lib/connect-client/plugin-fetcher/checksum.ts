import { createHash, type Hash } from "node:crypto";
import { PluginFetchError } from "./errors.js";
import { isSha512Hex } from "./url.js";

export type DigestAlgorithm = "sha-256" | "sha-512";

/** A digest somebody offered for the download, and who offered it (named in error messages). */
export interface OfferedDigest {
  readonly algorithm: DigestAlgorithm;
  /** Lower-case hex, or undefined when the value could not be read (that is a mismatch too). */
  readonly hex: string | undefined;
  readonly source: "plugin-url fragment" | "Repr-Digest header" | "Digest header";
}

export interface ComputedDigests {
  readonly sha512: string;
  readonly sha256: string;
}

/** sha512 and sha256 of a stream, fed chunk by chunk while it is written to disk. */
export class DownloadHasher {
  readonly #sha512: Hash = createHash("sha512");
  readonly #sha256: Hash = createHash("sha256");

  update(chunk: Buffer): void {
    this.#sha512.update(chunk);
    this.#sha256.update(chunk);
  }

  digest(): ComputedDigests {
    return { sha512: this.#sha512.digest("hex"), sha256: this.#sha256.digest("hex") };
  }
}

/** Headers a requirer's plugin server sends so that any RFC 9530 or RFC 3230 client can check the file. */
export function digestHeaders(sha512hex: string): { "Repr-Digest": string; Digest: string } {
  if (!isSha512Hex(sha512hex)) throw new TypeError("sha512 must be 128 hex characters");
  const b64 = Buffer.from(sha512hex, "hex").toString("base64");
  return { "Repr-Digest": `sha-512=:${b64}:`, Digest: `SHA-512=${b64}` };
}

const ALGORITHMS: Record<string, DigestAlgorithm> = { "sha-256": "sha-256", "sha-512": "sha-512" };
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function base64ToHex(value: string): string | undefined {
  return BASE64.test(value) ? Buffer.from(value, "base64").toString("hex") : undefined;
}

/** The `algorithm=value` members of a digest header whose algorithm we compute (names are case-insensitive). */
function digestMembers(
  header: string | undefined,
): { algorithm: OfferedDigest["algorithm"]; value: string }[] {
  const members: { algorithm: OfferedDigest["algorithm"]; value: string }[] = [];
  for (const member of header?.split(",") ?? []) {
    const eq = member.indexOf("=");
    if (eq < 0) continue;
    const algorithm = ALGORITHMS[member.slice(0, eq).trim().toLowerCase()];
    if (algorithm) members.push({ algorithm, value: member.slice(eq + 1).trim() });
  }
  return members;
}

/**
 * RFC 9530 `Repr-Digest: sha-512=:<base64>:, sha-256=:<base64>:` (a structured-field dictionary whose values
 * are byte sequences). Algorithms we do not compute are skipped; a known one we cannot read is kept, unread.
 */
export function parseReprDigest(header: string | undefined): OfferedDigest[] {
  return digestMembers(header).map(({ algorithm, value }) => {
    // Parameters (";key=value") may follow the value; they never change what is hashed.
    const bytes = /^:(.*):$/.exec(value.split(";")[0]?.trim() ?? "")?.[1];
    return {
      algorithm,
      hex: bytes === undefined ? undefined : base64ToHex(bytes),
      source: "Repr-Digest header" as const,
    };
  });
}

/** RFC 3230 `Digest: SHA-512=<base64>, SHA-256=<base64>`. */
export function parseDigest(header: string | undefined): OfferedDigest[] {
  return digestMembers(header).map(({ algorithm, value }) => ({
    algorithm,
    hex: base64ToHex(value),
    source: "Digest header" as const,
  }));
}

const SHORT = 12;

/** Every offered digest must match; the first that does not becomes a permanent "checksum" error. */
export function verifyDigests(
  computed: ComputedDigests,
  offered: readonly OfferedDigest[],
  url: string,
): void {
  for (const digest of offered) {
    const actual = digest.algorithm === "sha-512" ? computed.sha512 : computed.sha256;
    if (digest.hex === actual) continue;
    const expected = digest.hex === undefined ? "an unreadable value" : `${digest.hex.slice(0, SHORT)}…`;
    throw new PluginFetchError({
      kind: "checksum",
      transient: false,
      problem: `${digest.algorithm} from the ${digest.source} (${expected}) does not match the download (${actual.slice(0, SHORT)}…)`,
      fix:
        digest.source === "plugin-url fragment"
          ? "fix the sha512 in plugin-url or the served file"
          : "fix the plugin server's digest headers or the served file",
      url,
    });
  }
}
