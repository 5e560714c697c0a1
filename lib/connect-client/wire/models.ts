/**
 * zod 4 models of the connect_client v0 application databags, in wire form (string keys, string values).
 * They are the one source of truth: decode.ts parses with them, json-schema.ts generates the published JSON
 * Schemas from them. Each key first runs its diagnosis (rules.ts, precise messages), then the published
 * pattern (a safety net with a generic message), so the models are never looser than the schemas.
 *
 * Written with zod/mini, whose functions a bundler takes one by one: a charm that decodes a databag in every hook
 * loads ~60 KB of zod instead of ~750 KB (see bench/connect-client-import.ts).
 */
import * as z from "zod/mini";
import {
  DATA_KEY,
  ENDPOINTS_PATTERN,
  ENDPOINTS_PATTERN_WITHOUT_IPV6,
  NOT_REQUIRED,
  PROVIDER_KEYS as P,
  PLUGIN_URL_PATTERN,
  PLUGIN_URL_PATTERN_WITHOUT_IPV6,
  PROVIDED_SECRETS_PATTERN,
  REQUIRER_KEYS as R,
  REQUESTED_SECRETS_PATTERN,
  SECRET_KEY_PATTERN,
  SECRET_URI_PATTERN,
  STATUS_PATTERN,
  TLS_FLAG_PATTERN,
  TLS_FLAG_VALUES,
  testUrlPattern,
  type UrlPattern,
} from "./keys.js";
import { msg } from "./messages.js";
import {
  diagnoseEndpoints,
  diagnosePluginUrl,
  diagnoseSecretKeyList,
  diagnoseSecretUri,
  diagnoseStatus,
  diagnoseTlsFlag,
  MAX_PLUGIN_URL_LENGTH,
} from "./rules.js";

const MISSING: Readonly<Record<string, () => string>> = {
  [R.pluginUrl]: msg.pluginUrlMissing,
  [R.requestedSecrets]: msg.requestedSecretsMissing,
  [P.endpoints]: msg.endpointsMissing,
};

/** `schema` with JSON Schema metadata: a registered clone, as classic zod's `.meta()` makes. */
function described<T extends z.ZodMiniType>(schema: T, meta: z.core.GlobalMeta): T {
  const copy = schema.clone();
  z.globalRegistry.add(copy, meta);
  return copy;
}

/** A databag value: a non-empty string that passes `diagnose`, then `pattern` (when given). */
function wireString(key: string, diagnose: (value: string) => string[], pattern?: RegExp | UrlPattern) {
  const base = described(
    z
      .string({
        error: (iss) => (iss.input === undefined ? (MISSING[key]?.() ?? msg.empty(key)) : msg.notString(key)),
      })
      .check((payload) => {
        const found = payload.value === "" ? [msg.empty(key)] : diagnose(payload.value);
        // Issues without `continue` abort the checks that follow on this value (the pattern below only speaks
        // when the diagnosis found nothing) but, unlike `continue: false`, not the object-level rules.
        for (const message of found) payload.issues.push({ code: "custom", message, input: payload.value });
      }),
    // The check above refuses "" (zod's own minLength would run even after it, and say it twice).
    { minLength: 1 },
  );
  if (pattern === undefined) return base;
  if (pattern instanceof RegExp) return base.check(z.regex(pattern, { error: msg.pattern(key) }));
  // A URL pattern is tested through its cheap twin when it can be (same verdict); the JSON Schema shows the
  // published pattern. Like any check here, it runs only when the diagnosis found nothing.
  const checked = base.check((payload) => {
    if (!testUrlPattern(pattern, payload.value)) {
      payload.issues.push({ code: "custom", message: msg.pattern(key), input: payload.value });
    }
  });
  return described(checked, { pattern: pattern.published.source });
}

const PLUGIN_URL: UrlPattern = {
  published: PLUGIN_URL_PATTERN,
  withoutIpv6: PLUGIN_URL_PATTERN_WITHOUT_IPV6,
};
const ENDPOINTS: UrlPattern = { published: ENDPOINTS_PATTERN, withoutIpv6: ENDPOINTS_PATTERN_WITHOUT_IPV6 };

const none = (): string[] => [];

/** Any key we do not own (Juju's own, a newer library's): allowed, but still a non-empty string. */
const otherValue = z
  .string({ error: (iss) => msg.notString(String(iss.path?.[0] ?? "value")) })
  .check(z.minLength(1, { error: (iss) => msg.empty(String(iss.path?.[0] ?? "value")) }));

const secretKeysSchema = { type: "array", items: { type: "string", pattern: SECRET_KEY_PATTERN.source } };

const dataField = described(wireString(DATA_KEY, none), {
  title: "Data",
  description:
    "Private diff cache of Canonical's Python library (a JSON string). Tolerated; never read by peers.",
});

const requirerShape = {
  [R.pluginUrl]: described(wireString(R.pluginUrl, diagnosePluginUrl, PLUGIN_URL), {
    title: "Plugin-Url",
    description:
      "URL at which the plugins required by this client are served as a single tarball (an absolute http or " +
      `https URL with a host). If not required, the requirer places the sentinel value "${NOT_REQUIRED}".`,
    examples: ["http://10.1.1.200:8080/api/v1/plugin", NOT_REQUIRED],
    maxLength: MAX_PLUGIN_URL_LENGTH,
  }),
  [R.requestedSecrets]: described(
    wireString(R.requestedSecrets, (v) => diagnoseSecretKeyList(R.requestedSecrets, v, true)).check(
      z.regex(REQUESTED_SECRETS_PATTERN, { error: msg.secretsForm(R.requestedSecrets) }),
    ),
    {
      title: "Requested-Secrets",
      description:
        "JSON-encoded array of the secret keys the provider must share through Juju secrets instead of the " +
        'databag. Must include "username" and "password" (and "tls-ca" when TLS is used). Each key should ' +
        "appear once; repeats (which Canonical's library writes when given extra fields it already has) are " +
        'read once. Required: the requirer "is expected to provide" it (the interface); a provider may still ' +
        "serve a legacy requirer that omits it, with credentials in cleartext.",
      examples: ['["username", "password", "tls", "tls-ca"]'],
      contentMediaType: "application/json",
      contentSchema: { ...secretKeysSchema, allOf: containsKeys(["username", "password"]) },
    },
  ),
  [R.providedSecrets]: z.optional(
    described(
      wireString(R.providedSecrets, (v) => diagnoseSecretKeyList(R.providedSecrets, v, false)).check(
        z.regex(PROVIDED_SECRETS_PATTERN, { error: msg.secretsForm(R.providedSecrets) }),
      ),
      {
        title: "Provided-Secrets",
        description:
          "JSON-encoded array of the secret keys the requirer itself shares (newer Python library, e.g. " +
          '["mtls-cert"]). Optional. Each key should appear once; repeats are read once.',
        examples: ['["mtls-cert"]'],
        contentMediaType: "application/json",
        contentSchema: secretKeysSchema,
      },
    ),
  ),
  [DATA_KEY]: z.optional(dataField),
};

function containsKeys(keys: readonly string[]) {
  return keys.map((k) => ({ contains: { const: k } }));
}

const providerShape = {
  [P.endpoints]: described(wireString(P.endpoints, diagnoseEndpoints, ENDPOINTS), {
    title: "Endpoints",
    description:
      "A comma-separated list of Kafka Connect REST endpoints, each an absolute URL with the protocol " +
      "(`http` or `https`), a host and an optional port; no credentials, and nothing around the commas.",
    examples: ["http://10.1.1.100:8083,http://10.1.1.101:8083,http://10.1.1.102:8083"],
  }),
  [P.secretUser]: z.optional(
    described(
      wireString(P.secretUser, (v) => diagnoseSecretUri(P.secretUser, v), SECRET_URI_PATTERN),
      {
        title: "Secret-User",
        description:
          "URI of the Juju secret, granted to the requirer, that holds the REST credentials " +
          "({username, password}).",
        examples: ["secret://59060ecc-0495-4a80-8006-5f1fc13fd783/cjqub6vubg2s77p3nio0"],
      },
    ),
  ),
  [P.secretTls]: z.optional(
    described(
      wireString(P.secretTls, (v) => diagnoseSecretUri(P.secretTls, v), SECRET_URI_PATTERN),
      {
        title: "Secret-Tls",
        description:
          'URI of the Juju secret that holds {tls: "enabled" | "disabled", tls-ca: <PEM chain>}. Absent, or ' +
          "tls disabled, means plain http.",
        examples: ["secret://59060ecc-0495-4a80-8006-5f1fc13fd783/cjqub7fubg2s77p3niog"],
      },
    ),
  ),
  [P.username]: z.optional(
    described(wireString(P.username, none), {
      title: "Username",
      description:
        "Legacy cleartext fallback, written only for a requirer that sends no requested-secrets. Comes with password.",
    }),
  ),
  [P.password]: z.optional(
    described(wireString(P.password, none), {
      title: "Password",
      description:
        "Legacy cleartext fallback, written only for a requirer that sends no requested-secrets. Comes with username.",
    }),
  ),
  [P.tls]: z.optional(
    described(wireString(P.tls, diagnoseTlsFlag, TLS_FLAG_PATTERN), {
      title: "Tls",
      description:
        'Legacy cleartext fallback, written only for a requirer that sends no requested-secrets: "enabled" or ' +
        '"disabled". A provider that uses secrets puts it in the secret-tls secret, which wins over this key.',
      examples: [...TLS_FLAG_VALUES],
    }),
  ),
  [P.tlsCa]: z.optional(
    described(wireString(P.tlsCa, none), {
      title: "Tls-Ca",
      description:
        "Legacy cleartext fallback, written only for a requirer that sends no requested-secrets: the PEM CA " +
        "chain of the REST endpoints. A provider that uses secrets puts it in the secret-tls secret, which wins.",
    }),
  ),
  [P.status]: z.optional(
    described(
      wireString(P.status, diagnoseStatus).check(z.regex(STATUS_PATTERN, { error: msg.statusForm() })),
      {
        title: "Status",
        description:
          "JSON-encoded array of {code, message, resolution} (newer Python library). Codes: 1xxx information, " +
          "4xxx transitory, 5xxx fatal. Written plainly: an integer code, each field once, and no other field " +
          "(Canonical's requirers build RelationStatus(**item), which fails on any other).",
        examples: [
          '[{"code": 4001, "message": "Plugin download failed", "resolution": "Check the plugin-url"}]',
        ],
        contentMediaType: "application/json",
        contentSchema: {
          type: "array",
          items: {
            type: "object",
            properties: {
              code: { type: "integer" },
              message: { type: "string" },
              resolution: { type: "string" },
            },
            required: ["code", "message", "resolution"],
          },
        },
      },
    ),
  ),
  [DATA_KEY]: z.optional(dataField),
};

const bagError = { error: msg.notMapping };

const requirerBase = z.catchall(z.object(requirerShape, bagError), otherValue);
const providerBase = z.catchall(z.object(providerShape, bagError), otherValue);

/** The requirer application databag once the requirer has published (plugin-url required). */
export const RequirerAppBag = described(requirerBase, {
  id: "ConnectRequirerData",
  title: "ConnectRequirerData",
  description: "The requirer application databag, as written on the wire (every value is a string).",
});

/** The provider application databag once the provider has published: endpoints and credentials. */
export const ProviderAppBag = described(
  providerBase.check(
    z.superRefine(
      (bag, ctx) => {
        const has = (k: string) => Object.hasOwn(bag, k);
        if (has(P.username) !== has(P.password)) {
          const missing = has(P.username) ? P.password : P.username;
          const present = missing === P.password ? P.username : P.password;
          ctx.addIssue({ code: "custom", path: [missing], message: msg.credentialHalf(missing, present) });
        } else if (!has(P.secretUser) && !has(P.username)) {
          ctx.addIssue({ code: "custom", path: [P.secretUser], message: msg.secretUserMissing() });
        }
      },
      // Run even when a value failed: every problem is reported at once.
      { when: (payload) => typeof payload.value === "object" && payload.value !== null },
    ),
  ),
  {
    id: "ConnectProviderData",
    title: "ConnectProviderData",
    description:
      "The provider application databag, as written on the wire (every value is a string). Credentials travel " +
      "in the secret-user Juju secret; cleartext username and password are a legacy fallback.",
    // What the refinement above checks, in JSON Schema words.
    anyOf: [{ required: [P.secretUser] }, { required: [P.username, P.password] }],
    dependentRequired: { [P.username]: [P.password], [P.password]: [P.username] },
  },
);

/**
 * The requirer databag as a provider reads it at run time: requested-secrets may be missing (a legacy
 * requirer, served with cleartext credentials and a warning), which the interface itself does not allow.
 */
export const RequirerAppBagLegacy = z.partial(RequirerAppBag, { [R.requestedSecrets]: true });

/** While a side is still publishing: keys may be missing, but any key present must be valid. */
export const RequirerAppBagPartial = z.partial(requirerBase);
export const ProviderAppBagPartial = z.partial(providerBase);

export type RequirerAppWire = z.infer<typeof RequirerAppBag>;
export type ProviderAppWire = z.infer<typeof ProviderAppBag>;
