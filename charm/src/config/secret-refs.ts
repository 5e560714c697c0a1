import { parseSecretUri, SECRET_KEY } from "../../../lib/juju/secret-uri.js";
import type { DesiredConnector } from "../../common/desired-state.js";
import { connectorName, type Owner } from "../../common/names.js";
import { oneLine } from "../text.js";
import type { Declaration } from "./connectors.js";
import type { ConfigProblem } from "./options.js";

/**
 * Secret references in connector config values: `${secret:<secret id>/<key>}`, where the id is a Juju secret
 * id (the xid, or `secret:<xid>` / `secret://<model uuid>/<xid>`). Resolved in the hook with secret-get (the
 * user grants the secret to the application), so values reach the desired state resolved, and the config keys
 * holding them are listed in `secretKeys` to be masked in every report.
 */

const REF = /\$\{secret:([^{}\s]{1,300})\}/g;
const REF_START = "${secret:";

export interface SecretReference {
  /** The xid. */
  readonly id: string;
  readonly key: string;
}

/** The references in a value, and the `${secret:…}` texts that are not valid references. */
export function findSecretRefs(value: string): { refs: SecretReference[]; invalid: string[] } {
  const refs: SecretReference[] = [];
  const invalid: string[] = [];
  for (const m of value.matchAll(REF)) {
    const body = m[1]!;
    const slash = body.lastIndexOf("/");
    const key = body.slice(slash + 1);
    try {
      if (slash < 0 || !SECRET_KEY.test(key)) throw new Error("bad key");
      refs.push({ id: parseSecretUri(body.slice(0, slash)).id, key });
    } catch {
      invalid.push(oneLine(m[0], 80));
    }
  }
  // What the pattern did not take (no closing brace, an empty or spaced id, one reference inside another)
  // would otherwise reach Kafka Connect as literal text in place of a secret.
  const rest = value.replace(REF, "");
  const stray = rest.indexOf(REF_START);
  if (stray >= 0) invalid.push(oneLine(rest.slice(stray, stray + 80), 80));
  return { refs, invalid };
}

export type SecretRead =
  | { readonly ok: true; readonly content: Readonly<Record<string, string>> }
  | { readonly ok: false; readonly reason: "not-readable" };

/** Reads one secret's content by xid (the charm's: secret-get with refresh, values registered for redaction). */
export type SecretReader = (id: string) => Promise<SecretRead>;

/**
 * Resolves the declarations into the connectors of the desired state (full Kafka config: `connector.class`,
 * `tasks.max` and `name` added, as Kafka stores them). Any reference that cannot be resolved is a problem
 * naming the connector, the key and the command to run; then nothing is returned, so the caller keeps the
 * last good connectors.
 */
export async function resolveDeclarations(
  declarations: readonly Declaration[],
  owner: Owner,
  read: SecretReader,
): Promise<{ ok: true; connectors: DesiredConnector[] } | { ok: false; problems: ConfigProblem[] }> {
  const problems: ConfigProblem[] = [];
  const cache = new Map<string, Promise<SecretRead>>();
  const readOnce = (id: string) => {
    let p = cache.get(id);
    if (!p) {
      p = read(id);
      cache.set(id, p);
    }
    return p;
  };
  const connectors: DesiredConnector[] = [];
  for (const d of declarations) {
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    for (const [k, v] of Object.entries(d.config)) {
      const { refs, invalid } = findSecretRefs(v);
      const where = `connectors: ${d.declared}: config.${oneLine(k, 100)}`;
      if (invalid.length) {
        problems.push({
          key: "connectors",
          message: `${where}: ${invalid[0]} is not a secret reference: write \${secret:<secret id>/<key>}`,
        });
        continue;
      }
      if (!refs.length) {
        config[k] = v;
        continue;
      }
      const values = new Map<string, string>();
      let ok = true;
      for (const ref of refs) {
        const got = await readOnce(ref.id);
        if (!got.ok) {
          problems.push({
            key: "connectors",
            message: `${where}: secret ${ref.id} is not readable: juju grant-secret ${ref.id} ${owner.app}`,
          });
          ok = false;
          break;
        }
        const value = got.content[ref.key];
        if (value === undefined) {
          const keys = Object.keys(got.content).sort().join(", ");
          problems.push({
            key: "connectors",
            message: `${where}: secret ${ref.id} has no key "${ref.key}" (it has: ${keys}): fix the reference or juju update-secret`,
          });
          ok = false;
          break;
        }
        values.set(`${ref.id}/${ref.key}`, value);
      }
      if (!ok) continue;
      config[k] = substitute(v, values);
      secretKeys.push(k);
    }
    const name = connectorName(d.declared, owner);
    connectors.push({
      declared: d.declared,
      name,
      config: { ...config, "connector.class": d.className, "tasks.max": String(d.tasksMax), name },
      state: d.state,
      declarationHash: d.declarationHash,
      secretKeys: secretKeys.sort(),
    });
  }
  return problems.length ? { ok: false, problems } : { ok: true, connectors };
}

/** One pass over the text, so a secret value that itself looks like a reference is never expanded. */
function substitute(text: string, values: ReadonlyMap<string, string>): string {
  return text.replace(REF, (whole, body: string) => {
    const slash = body.lastIndexOf("/");
    try {
      return values.get(`${parseSecretUri(body.slice(0, slash)).id}/${body.slice(slash + 1)}`) ?? whole;
    } catch {
      return whole;
    }
  });
}
