import { JujuError, NotLeaderError } from "../errors.js";
import { invalidSecretKeys, SECRET_KEY } from "../secret-uri.js";
import type { HookTools } from "../tools/index.js";
import type { SecretContent, SecretInfo, SecretMetadataOptions, SecretRef } from "../tools/secrets.js";
import type { Redactor } from "./redactor.js";

/**
 * Secrets as a charm uses them. Values read or written are registered with the redactor so they never reach
 * logs or status; keys are checked before Juju sees them; app-owned secrets need leadership.
 */
export class Secrets {
  /** Content read in this hook; it cannot change unless this hook changes it (add, set, remove clear it). */
  private readonly reads = new Map<string, Promise<SecretContent>>();

  constructor(
    private readonly tools: HookTools,
    private readonly redactor: Redactor,
    private readonly isLeader: () => Promise<boolean>,
  ) {}

  async add(
    content: Readonly<SecretContent>,
    opts: SecretMetadataOptions & { owner?: "application" | "unit"; publicKeys?: readonly string[] } = {},
  ): Promise<string> {
    checkContent(content);
    this.register(content, opts.publicKeys);
    if ((opts.owner ?? "application") === "application" && !(await this.isLeader())) {
      throw new NotLeaderError(
        "secret-add",
        "this unit is not the leader (only the leader may add application-owned secrets)",
        1,
      );
    }
    this.reads.clear();
    const { publicKeys: _, ...tool } = opts;
    return this.tools.secretAdd(content, tool);
  }

  /**
   * Reads a secret. Every value is registered for redaction, except those of `publicKeys`: fields a secret
   * carries that are not confidential (a CA chain, an "enabled" flag), which would otherwise blank out every
   * occurrence of common words in logs and status.
   */
  async get(
    ref: SecretRef,
    opts: { refresh?: boolean; peek?: boolean; publicKeys?: readonly string[] } = {},
  ): Promise<SecretContent> {
    if (opts.refresh && opts.peek) throw new JujuError("secret-get: choose either refresh or peek, not both");
    const key = JSON.stringify([ref, opts.refresh === true, opts.peek === true]);
    const { publicKeys = [] } = opts;
    let read = this.reads.get(key);
    if (!read) {
      read = this.tools.secretGet(ref, { refresh: opts.refresh, peek: opts.peek }).then((content) => {
        this.register(content, publicKeys);
        return content;
      });
      this.reads.set(key, read);
      read.catch(() => this.reads.delete(key));
    }
    return { ...(await read) };
  }

  async set(
    uri: string,
    content: Readonly<SecretContent> | undefined,
    opts: SecretMetadataOptions & { publicKeys?: readonly string[] } = {},
  ) {
    const { publicKeys, ...tool } = opts;
    if (content) {
      checkContent(content);
      this.register(content, publicKeys);
    }
    this.reads.clear();
    await this.tools.secretSet(uri, content, tool);
  }

  /** Registers a secret's values for redaction, except the fields the caller declares public. */
  private register(content: Readonly<SecretContent>, publicKeys: readonly string[] = []): void {
    this.redactor.addContent(
      Object.fromEntries(Object.entries(content).filter(([k]) => !publicKeys.includes(k))),
    );
  }

  grant(uri: string, relationId: string, opts: { unit?: string } = {}) {
    return this.tools.secretGrant(uri, relationId, opts);
  }

  revoke(uri: string, relationId: string, opts: { unit?: string } = {}) {
    return this.tools.secretRevoke(uri, relationId, opts);
  }

  remove(uri: string, opts: { revision?: number } = {}) {
    this.reads.clear();
    return this.tools.secretRemove(uri, opts);
  }

  ids(): Promise<string[]> {
    return this.tools.secretIds();
  }

  info(ref: SecretRef): Promise<SecretInfo> {
    return this.tools.secretInfoGet(ref);
  }
}

function checkContent(content: Readonly<SecretContent>): void {
  if (Object.keys(content).length === 0)
    throw new JujuError("secret content is empty: give at least one key");
  const bad = invalidSecretKeys(content);
  if (bad.length) {
    throw new JujuError(
      `invalid secret key${bad.length > 1 ? "s" : ""} ${bad.map((k) => `"${k}"`).join(", ")}: keys must match ${SECRET_KEY.source} (lowercase, start with a letter, at least 3 characters)`,
    );
  }
}
