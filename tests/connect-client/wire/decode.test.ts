import { describe, expect, it } from "vitest";
import {
  DEFAULT_REQUESTED_SECRETS,
  decodeProviderBag,
  decodeRequirerBag,
  encodeProviderBag,
  encodeRequirerBag,
  formatProblems,
  NOT_REQUIRED,
  PROVIDER_KEYS,
  REQUIRER_KEYS,
} from "../../../lib/connect-client/wire/index.js";
import {
  BAD,
  GOLDEN,
  LEGACY_TLS_PROVIDER,
  REQUESTED_WITH_REPEAT,
  SEED,
  TEST_CA,
  VALID,
} from "../fixtures/cases.js";

const CLEARTEXT_WARNING =
  "legacy: credentials in cleartext; ask the provider to use secrets by sending requested-secrets";

function ownKeys(bag: Readonly<Record<string, string>>, keys: readonly string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(bag).filter(([k]) => keys.includes(k)));
}

describe("golden databags of Canonical's Python library", () => {
  it("LIBPATCH 59 requirer: plugin-url, requested-secrets and provided-secrets", () => {
    const d = decodeRequirerBag(GOLDEN.requirerLibpatch59);
    expect(d).toEqual({
      ok: true,
      warnings: [],
      value: {
        pluginUrl: "http://10.1.1.200:8080/api/v1/plugin",
        requestedSecrets: [
          "username",
          "password",
          "tls",
          "tls-ca",
          "uris",
          "read-only-uris",
          "entity-name",
          "entity-password",
        ],
        providedSecrets: ["mtls-cert"],
      },
    });
  });

  it("LIBPATCH 59 requirer unit databag: the same two *-secrets keys, read partially (no plugin-url)", () => {
    // A unit databag is not the application databag: nothing is required in it, what is there must be valid.
    expect(decodeRequirerBag(GOLDEN.requirerLibpatch59Unit, { partial: true })).toEqual({
      ok: true,
      warnings: [],
      value: {
        requestedSecrets: [
          "username",
          "password",
          "tls",
          "tls-ca",
          "uris",
          "read-only-uris",
          "entity-name",
          "entity-password",
        ],
        providedSecrets: ["mtls-cert"],
      },
    });
    // Read as an application databag it would lack plugin-url: which is why it is read partially.
    expect(decodeRequirerBag(GOLDEN.requirerLibpatch59Unit)).toMatchObject({
      ok: false,
      problems: [{ key: "plugin-url" }],
    });
    expect(Object.keys(GOLDEN.requirerLibpatch59Unit).sort()).toEqual([
      "provided-secrets",
      "requested-secrets",
    ]);
  });

  it("LIBPATCH 40 MirrorMaker requirer: the NOT-REQUIRED sentinel", () => {
    const d = decodeRequirerBag(GOLDEN.requirerLibpatch40NotRequired);
    expect(d).toEqual({
      ok: true,
      warnings: [],
      value: { pluginUrl: NOT_REQUIRED, requestedSecrets: ["username", "password", "tls", "tls-ca", "uris"] },
    });
  });

  it("provider with the data diff cache: data is ignored, endpoints split, secrets as written", () => {
    const d = decodeProviderBag(GOLDEN.providerWithData);
    expect(d).toEqual({
      ok: true,
      warnings: [],
      value: {
        endpoints: ["http://10.0.0.1:8083", "http://10.0.0.2:8083"],
        secretUser: "secret://59060ecc-0495-4a80-8006-5f1fc13fd783/cjqub6vubg2s77p3nio0",
        secretTls: "secret://59060ecc-0495-4a80-8006-5f1fc13fd783/cjqub7fubg2s77p3niog",
      },
    });
  });

  it("cleartext fallback: accepted, with the legacy warning", () => {
    const d = decodeProviderBag(GOLDEN.providerCleartext);
    expect(d).toEqual({
      ok: true,
      warnings: [CLEARTEXT_WARNING],
      value: {
        endpoints: ["http://10.0.0.1:8083", "http://10.0.0.2:8083"],
        username: "relation-7",
        password: "Zq8v2Lr5NwX0pT3yHc7mKd1sJb4gFe9a",
      },
    });
  });

  it("encode(decode(x)) gives back, byte for byte, every key we own", () => {
    for (const bag of [GOLDEN.requirerLibpatch59, GOLDEN.requirerLibpatch40NotRequired]) {
      const d = decodeRequirerBag(bag);
      if (!d.ok) throw new Error(formatProblems(d.problems));
      expect(encodeRequirerBag(d.value)).toEqual(ownKeys(bag, Object.values(REQUIRER_KEYS)));
    }
    for (const bag of [GOLDEN.providerWithData, GOLDEN.providerCleartext]) {
      const d = decodeProviderBag(bag);
      if (!d.ok) throw new Error(formatProblems(d.problems));
      expect(encodeProviderBag(d.value)).toEqual(ownKeys(bag, Object.values(PROVIDER_KEYS)));
    }
  });
});

describe("seed 002 examples", () => {
  it("provider: three endpoints, secret-user and secret-tls", () => {
    expect(decodeProviderBag(SEED.provider)).toEqual({
      ok: true,
      warnings: [],
      value: {
        endpoints: ["http://10.1.1.100:8083", "http://10.1.1.101:8083", "http://10.1.1.102:8083"],
        secretUser: "secret://59060ecc-0495-4a80-8006-5f1fc13fd783/cjqub6vubg2s77p3nio0",
        secretTls: "secret://59060ecc-0495-4a80-8006-5f1fc13fd783/cjqub7fubg2s77p3niog",
      },
    });
  });

  it("requirer: plugin-url and the three requested secrets", () => {
    expect(decodeRequirerBag(SEED.requirer)).toEqual({
      ok: true,
      warnings: [],
      value: {
        pluginUrl: "http://10.1.1.200:8080/route/to/plugin",
        requestedSecrets: ["username", "password", "tls-ca"],
      },
    });
    // Round trip: the seed's text is exactly what we would write.
    expect(
      encodeRequirerBag({
        pluginUrl: SEED.requirer["plugin-url"],
        requestedSecrets: ["username", "password", "tls-ca"],
      }),
    ).toEqual(SEED.requirer);
  });
});

describe("plugin-url length", () => {
  const bag = (url: string) => ({ "plugin-url": url, "requested-secrets": '["username", "password"]' });
  const url = (length: number) => {
    const head = "http://10.1.1.200:8080/";
    return head + "a".repeat(length - head.length);
  };

  it("8192 characters are accepted; one more is refused by name, strictly and liberally", () => {
    expect(decodeRequirerBag(bag(url(8192))).ok).toBe(true);
    for (const liberal of [false, true]) {
      const r = decodeRequirerBag(bag(url(8193)), { liberal });
      expect(r.ok).toBe(false);
      expect(formatProblems(r.ok ? [] : r.problems)).toContain(
        "plugin-url is 8193 characters long; at most 8192 are accepted",
      );
    }
  });
});

describe("every valid corpus entry decodes, and survives a round trip", () => {
  for (const entry of VALID) {
    it(entry.name, () => {
      if (entry.role === "requirer") {
        const d = decodeRequirerBag(entry.bag);
        if (!d.ok) throw new Error(formatProblems(d.problems));
        expect(decodeRequirerBag(encodeRequirerBag(d.value))).toMatchObject({ ok: true, value: d.value });
      } else {
        const d = decodeProviderBag(entry.bag);
        if (!d.ok) throw new Error(formatProblems(d.problems));
        expect(decodeProviderBag(encodeProviderBag(d.value))).toMatchObject({ ok: true, value: d.value });
      }
    });
  }
});

describe("warnings", () => {
  it("a requirer without requested-secrets breaks the contract; read liberally, it is a legacy requirer", () => {
    expect(decodeRequirerBag({ "plugin-url": NOT_REQUIRED })).toEqual({
      ok: false,
      problems: [
        {
          key: "requested-secrets",
          message:
            'requested-secrets is missing: the requirer is expected to provide it, e.g. ["username", "password", ' +
            '"tls", "tls-ca"]; without it a provider can only write the credentials in cleartext',
        },
      ],
      warnings: [],
    });
    expect(decodeRequirerBag({ "plugin-url": NOT_REQUIRED }, { liberal: true })).toEqual({
      ok: true,
      value: { pluginUrl: NOT_REQUIRED },
      warnings: [
        'legacy: no requested-secrets, so the provider will write the credentials in cleartext; send requested-secrets, e.g. ["username", "password", "tls", "tls-ca"]',
      ],
    });
  });

  it("spaces around endpoints items and secret URIs break the contract; read liberally, they are trimmed", () => {
    const bag = {
      endpoints: " http://10.0.0.1:8083 ,http://10.0.0.2:8083",
      "secret-user": " secret:cjqub6vubg2s77p3nio0\n",
    };
    const strict = decodeProviderBag(bag);
    expect(strict.ok).toBe(false);
    expect(strict.ok ? [] : strict.problems.map((p) => p.key)).toEqual(["endpoints", "secret-user"]);
    expect(decodeProviderBag(bag, { liberal: true })).toEqual({
      ok: true,
      value: {
        endpoints: ["http://10.0.0.1:8083", "http://10.0.0.2:8083"],
        secretUser: "secret:cjqub6vubg2s77p3nio0",
      },
      warnings: [
        "endpoints has spaces around its items, which the interface does not allow; read trimmed (a peer that " +
          "splits on commas gets them with the spaces): remove them",
        "secret-user has leading or trailing spaces, which Juju's secret URI parser refuses; read trimmed (as " +
          "ops does): remove them",
      ],
    });
  });

  it("secret:<model-uuid>/<id>, which Juju parses, is decoded as secret://<model-uuid>/<id>", () => {
    const uuid = "59060ecc-0495-4a80-8006-5f1fc13fd783";
    for (const form of [`secret:${uuid}/cjqub6vubg2s77p3nio0`, `${uuid}/cjqub6vubg2s77p3nio0`]) {
      const d = decodeProviderBag({ endpoints: "http://10.0.0.1:8083", "secret-user": form });
      expect(d.ok && d.value.secretUser, form).toBe(`secret://${uuid}/cjqub6vubg2s77p3nio0`);
    }
  });

  it("https endpoints without secret-tls: no CA to verify with", () => {
    const d = decodeProviderBag({
      endpoints: "https://10.0.0.1:8443",
      "secret-user": "secret:cjqub6vubg2s77p3nio0",
    });
    expect(d.ok).toBe(true);
    expect(d.warnings).toEqual([
      "endpoints use https but secret-tls is missing: the requirer has no CA to verify the REST certificate",
    ]);
  });

  it("unknown keys, data included, pass silently", () => {
    const d = decodeProviderBag({ ...SEED.provider, data: "{}", "ingress-address": "10.0.0.9" });
    expect(d).toMatchObject({ ok: true, warnings: [] });
  });

  it("warnings are kept on invalid bags too", () => {
    const d = decodeProviderBag({ endpoints: "ftp://x", username: "u", password: "p" });
    expect(d.ok).toBe(false);
    expect(d.warnings).toEqual([CLEARTEXT_WARNING]);
  });
});

describe("repeated secret keys (RequirerData appends additional_secret_fields without de-duplicating)", () => {
  const repeated = (key: string, item: string) =>
    `${key} item "${item}" appears more than once; the repeats are ignored (list each key once)`;

  it("requested-secrets: valid, read once, with a warning naming the key and the item", () => {
    expect(
      decodeRequirerBag({ "plugin-url": NOT_REQUIRED, "requested-secrets": REQUESTED_WITH_REPEAT }),
    ).toEqual({
      ok: true,
      value: { pluginUrl: NOT_REQUIRED, requestedSecrets: ["username", "password", "tls", "tls-ca", "uris"] },
      warnings: [repeated("requested-secrets", "tls-ca")],
    });
  });

  it("provided-secrets too, and each repeated item is named once, in order", () => {
    const d = decodeRequirerBag(
      {
        "plugin-url": NOT_REQUIRED,
        "requested-secrets": '["password", "username", "password", "username", "password"]',
        "provided-secrets": '["mtls-cert", "mtls-cert"]',
      },
      { partial: true },
    );
    expect(d).toEqual({
      ok: true,
      value: {
        pluginUrl: NOT_REQUIRED,
        requestedSecrets: ["password", "username"],
        providedSecrets: ["mtls-cert"],
      },
      warnings: [
        repeated("requested-secrets", "password"),
        repeated("requested-secrets", "username"),
        repeated("provided-secrets", "mtls-cert"),
      ],
    });
  });

  it("everything else stays strict: a repeated invalid key is still refused", () => {
    const d = decodeRequirerBag({
      "plugin-url": NOT_REQUIRED,
      "requested-secrets": '["username", "password", "tls_ca", "tls_ca"]',
    });
    expect(d.ok).toBe(false);
    if (!d.ok) expect(d.problems.map((p) => p.key)).toEqual(["requested-secrets", "requested-secrets"]);
    expect(d.warnings).toEqual([repeated("requested-secrets", "tls_ca")]);
  });
});

describe("legacy cleartext tls and tls-ca", () => {
  it("a requirer that requested no secrets gets every field in cleartext, TLS included", () => {
    expect(decodeProviderBag(LEGACY_TLS_PROVIDER)).toEqual({
      ok: true,
      warnings: [CLEARTEXT_WARNING],
      value: {
        endpoints: ["https://10.0.0.1:8443", "https://10.0.0.2:8443"],
        username: "relation-7",
        password: "Zq8v2Lr5NwX0pT3yHc7mKd1sJb4gFe9a",
        tls: "enabled",
        tlsCa: TEST_CA,
      },
    });
  });

  it("encodes them, and encode(decode(x)) gives the legacy bag back byte for byte", () => {
    const d = decodeProviderBag(LEGACY_TLS_PROVIDER);
    if (!d.ok) throw new Error(formatProblems(d.problems));
    expect(encodeProviderBag(d.value)).toEqual(LEGACY_TLS_PROVIDER);
    expect(encodeProviderBag({ tls: "disabled" })).toEqual({ tls: "disabled" });
  });

  it("alongside secret-tls: secret-tls wins, the cleartext values are left out, with a warning", () => {
    const secretTls = "secret:cjqub7fubg2s77p3niog";
    const both = decodeProviderBag({
      ...SEED.provider,
      "secret-tls": secretTls,
      tls: "enabled",
      "tls-ca": TEST_CA,
    });
    expect(both).toEqual({
      ok: true,
      warnings: [
        "tls and tls-ca in cleartext alongside secret-tls: secret-tls wins, the cleartext values are ignored",
      ],
      value: {
        endpoints: ["http://10.1.1.100:8083", "http://10.1.1.101:8083", "http://10.1.1.102:8083"],
        secretUser: SEED.provider["secret-user"],
        secretTls,
      },
    });
    const one = decodeProviderBag({ ...SEED.provider, "tls-ca": TEST_CA }, { partial: true });
    expect(one.warnings).toEqual([
      "tls-ca in cleartext alongside secret-tls: secret-tls wins, the cleartext value is ignored",
    ]);
  });

  it("https endpoints with a cleartext tls-ca have a CA: no https warning", () => {
    const bag = { endpoints: "https://10.0.0.1:8443", "secret-user": "secret:cjqub6vubg2s77p3nio0" };
    expect(decodeProviderBag({ ...bag, tls: "enabled", "tls-ca": TEST_CA }).warnings).toEqual([]);
    expect(decodeProviderBag({ ...bag, tls: "enabled" }).warnings).toEqual([
      "endpoints use https but secret-tls is missing: the requirer has no CA to verify the REST certificate",
    ]);
  });
});

describe("partial mode: keys may be missing, present keys must be valid", () => {
  it("an empty bag is fine while the side is still publishing", () => {
    expect(decodeRequirerBag({}, { partial: true })).toEqual({ ok: true, value: {}, warnings: [] });
    expect(decodeProviderBag({}, { partial: true })).toEqual({ ok: true, value: {}, warnings: [] });
  });

  it("endpoints published before credentials", () => {
    expect(decodeProviderBag({ endpoints: "http://10.0.0.1:8083" }, { partial: true })).toEqual({
      ok: true,
      value: { endpoints: ["http://10.0.0.1:8083"] },
      warnings: [],
    });
    // Complete mode wants the credentials.
    expect(decodeProviderBag({ endpoints: "http://10.0.0.1:8083" }).ok).toBe(false);
  });

  it("requested-secrets before plugin-url", () => {
    expect(decodeRequirerBag({ "requested-secrets": '["username", "password"]' }, { partial: true })).toEqual(
      {
        ok: true,
        value: { requestedSecrets: ["username", "password"] },
        warnings: [],
      },
    );
  });

  it("a present key is still checked", () => {
    expect(decodeRequirerBag({ "plugin-url": "not-required" }, { partial: true })).toEqual({
      ok: false,
      problems: [
        {
          key: "plugin-url",
          message: 'plugin-url "not-required" is not the sentinel: did you mean NOT-REQUIRED?',
        },
      ],
      warnings: [],
    });
  });
});

describe("encoding", () => {
  it("writes JSON arrays as Python's json.dumps does", () => {
    expect(
      encodeRequirerBag({ pluginUrl: NOT_REQUIRED, requestedSecrets: [...DEFAULT_REQUESTED_SECRETS] }),
    ).toEqual({
      "plugin-url": "NOT-REQUIRED",
      "requested-secrets": '["username", "password", "tls", "tls-ca"]',
    });
    expect(
      encodeRequirerBag({
        pluginUrl: NOT_REQUIRED,
        requestedSecrets: ["username", "password"],
        providedSecrets: [],
      }),
    ).toEqual({
      "plugin-url": "NOT-REQUIRED",
      "requested-secrets": '["username", "password"]',
      "provided-secrets": "[]",
    });
  });

  it("writes only the provider keys that are set; status as JSON text with non-ASCII escaped", () => {
    expect(encodeProviderBag({})).toEqual({});
    expect(encodeProviderBag({ endpoints: [] })).toEqual({});
    expect(
      encodeProviderBag({
        endpoints: ["http://a:8083", "http://b:8083"],
        status: [{ code: 4001, message: "Téléchargement échoué", resolution: "Retry" }],
      }),
    ).toEqual({
      endpoints: "http://a:8083,http://b:8083",
      status:
        '[{"code": 4001, "message": "T\\u00e9l\\u00e9chargement \\u00e9chou\\u00e9", "resolution": "Retry"}]',
    });
  });

  it("a status item with a field besides the three breaks the contract; read liberally, the field is dropped", () => {
    const bag = { status: '[{"code": 1000, "message": "ok", "resolution": "none", "extra": 1}]' };
    expect(decodeProviderBag(bag, { partial: true })).toEqual({
      ok: false,
      warnings: [],
      problems: [
        {
          key: "status",
          message:
            'status item 1 has a field other than code, message and resolution ("extra"): remove it; ' +
            "Canonical's requirers build RelationStatus(**item) and fail on any other field",
        },
      ],
    });
    expect(decodeProviderBag(bag, { partial: true, liberal: true })).toEqual({
      ok: true,
      warnings: [
        'status item 1 has "extra" besides code, message and resolution, which Canonical\'s requirers cannot read; ignored',
      ],
      value: { status: [{ code: 1000, message: "ok", resolution: "none" }] },
    });
  });

  it("DEFAULT_REQUESTED_SECRETS is the credentials plus TLS, and frozen", () => {
    expect(DEFAULT_REQUESTED_SECRETS).toEqual(["username", "password", "tls", "tls-ca"]);
    expect(Object.isFrozen(DEFAULT_REQUESTED_SECRETS)).toBe(true);
  });
});

describe("formatProblems", () => {
  it("joins the messages on one line", () => {
    expect(
      formatProblems([
        { key: "a", message: "a is wrong" },
        { key: "b", message: "b is\nwrong too" },
      ]),
    ).toBe("a is wrong; b is wrong too");
    expect(formatProblems([])).toBe("");
  });
});

describe("secrets never leak into messages", () => {
  it("no problem text of the corpus shows a credential", () => {
    const secrets = ["hunter2", "s3cr3t", "Zq8v2Lr5NwX0pT3yHc7mKd1sJb4gFe9a", "admin:", "relation-7:"];
    for (const c of BAD) {
      const d = c.role === "requirer" ? decodeRequirerBag(c.bag) : decodeProviderBag(c.bag);
      const text = JSON.stringify(d);
      for (const s of secrets) expect(text, c.name).not.toContain(s);
    }
  });

  it("a value that is not a string is reported, not echoed", () => {
    const bag = { ...SEED.provider, password: 1234 } as unknown as Record<string, string>;
    const d = decodeProviderBag(bag);
    expect(d.ok).toBe(false);
    if (!d.ok) {
      expect(d.problems).toContainEqual({
        key: "password",
        message: "password must be a string: Juju databags hold only strings",
      });
      expect(JSON.stringify(d.problems)).not.toContain("1234");
    }
  });
});
