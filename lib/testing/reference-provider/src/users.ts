import { createHash, randomInt } from "node:crypto";
import { formatCredentials } from "../../kafka-connect/auth.js";

/**
 * The REST users of the workers, pure: one `admin` for the charm itself and one `relation-<id>` per
 * connect_client relation, as Canonical's kafka-connect charm names them (KC:src/core/models.py:211-217).
 */

export const ADMIN_USER = "admin";
/** Canonical's provider: 32 characters of [A-Za-z0-9] (KC:src/core/workload.py:238-243). */
export const PASSWORD_LENGTH = 32;
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

export type Users = Readonly<Record<string, string>>;

/** A password from the OS's CSPRNG; randomInt draws without modulo bias. */
export function newPassword(): string {
  let out = "";
  for (let i = 0; i < PASSWORD_LENGTH; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}

export function relationUser(relationNumber: number): string {
  return `relation-${relationNumber}`;
}

/** The relation number of a `relation-<n>` user, or undefined for any other name. */
export function relationOfUser(user: string): number | undefined {
  const m = /^relation-(0|[1-9][0-9]{0,8})$/.exec(user);
  return m ? Number(m[1]) : undefined;
}

/**
 * The users wanted for these live relations: admin and every live relation keep their password, new ones
 * get a fresh one, users of relations that are gone are dropped. `changed` says whether anything differs.
 */
export function wantedUsers(
  current: Users,
  liveRelations: readonly number[],
  password: () => string = newPassword,
): { users: Users; changed: boolean } {
  const users: Record<string, string> = { [ADMIN_USER]: current[ADMIN_USER] || password() };
  for (const n of [...new Set(liveRelations)].sort((a, b) => a - b)) {
    const name = relationUser(n);
    users[name] = current[name] || password();
  }
  const keys = Object.keys(users);
  const changed = keys.length !== Object.keys(current).length || keys.some((k) => current[k] !== users[k]);
  return { users, changed };
}

/** The credentials file (PropertyFileLoginModule's format), in a stable order so equal users give equal text. */
export function credentialsFileText(users: Users): string {
  const sorted = Object.fromEntries(Object.entries(users).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return formatCredentials(sorted);
}

/**
 * What a worker loaded at its last restart: the credentials text, the plugin dirs and its config file (the
 * REST listener), as one digest.
 */
export function loadDigest(credentialsText: string, pluginDirs: readonly string[], configText = ""): string {
  const h = createHash("sha256").update(credentialsText).update("\0").update(configText).update("\0");
  for (const d of [...pluginDirs].sort()) h.update(d).update("\0");
  return h.digest("hex");
}
