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
import { BAD, GOLDEN, SEED, VALID } from "../fixtures/cases.js";

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
  it("a requirer without requested-secrets is a legacy requirer", () => {
    const d = decodeRequirerBag({ "plugin-url": NOT_REQUIRED });
    expect(d).toEqual({
      ok: true,
      value: { pluginUrl: NOT_REQUIRED },
      warnings: [
        'legacy: no requested-secrets, so the provider will write the credentials in cleartext; send requested-secrets, e.g. ["username", "password", "tls", "tls-ca"]',
      ],
    });
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

  it("decodes status back to typed items, dropping extra fields", () => {
    const d = decodeProviderBag(
      { status: '[{"code": 1000, "message": "ok", "resolution": "none", "extra": 1}]' },
      { partial: true },
    );
    expect(d).toEqual({
      ok: true,
      warnings: [],
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
