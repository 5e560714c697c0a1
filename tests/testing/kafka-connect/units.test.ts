import { describe, expect, it } from "vitest";
import {
  basicAuthAdmits,
  decodeJavaBase64,
  formatCredentials,
  formatKafkaVersion,
  invalidConfigMessage,
  jaasConfig,
  kafkaVersionAtLeast,
  kafkaVersionSupports,
  parseBasicAuth,
  parseJavaProperties,
  parseKafkaVersion,
  validateConnectorConfig,
} from "../../../lib/testing/kafka-connect/index.js";
import { unrecognizedFieldMessage } from "../../../lib/testing/kafka-connect/jackson.js";

describe("Java properties (the credentials file)", () => {
  it("reads =, : and blank separators, comments, escapes, unicode escapes and continued lines", () => {
    const text = [
      "# comment",
      "! another",
      "",
      "a=1",
      "b : two words ",
      "c three",
      "   d=\\u00e9t\\u00e9",
      "e\\:key=v\\=al\\\\",
      "f=first \\",
      "   second",
      "g=",
    ].join("\n");
    expect(Object.fromEntries(parseJavaProperties(text))).toEqual({
      a: "1",
      b: "two words ",
      c: "three",
      d: "été",
      "e:key": "v=al\\",
      f: "first second",
      g: "",
    });
  });

  it("writes credentials that read back the same, whatever the characters", () => {
    const users = { admin: "p@ss w=rd:#!", "odd user": " leading", ünï: "✓ 😀", tab: "a\tb\nc\\" };
    const text = formatCredentials(users);
    expect(text).toMatch(/^[\x20-\x7e\n]*$/); // ISO-8859-1-safe: everything else is \uXXXX
    expect(Object.fromEntries(parseJavaProperties(text))).toEqual(users);
  });

  it("writes the JAAS stanza a worker would load", () => {
    expect(jaasConfig('/etc/kafka/my "creds"')).toBe(
      "KafkaConnect {\n" +
        "  org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required\n" +
        '  file="/etc/kafka/my \\"creds\\"";\n' +
        "};\n",
    );
  });
});

describe("basic auth header", () => {
  const basic = (s: string) => `Basic ${Buffer.from(s).toString("base64")}`;

  it("splits user and password at the first colon", () => {
    expect(parseBasicAuth(basic("u:p:w"))).toEqual({ user: "u", password: "p:w" });
    expect(parseBasicAuth(basic("u:"))).toEqual({ user: "u", password: "" });
    expect(parseBasicAuth(`BASIC ${Buffer.from("u:p").toString("base64")}`)).toEqual({
      user: "u",
      password: "p",
    });
  });

  it("presents nothing for a missing, malformed or non-basic header", () => {
    for (const h of [undefined, "Basic", " Basic x", "Bearer abc", basic(":p"), basic("nocolon"), "Basic "])
      expect(parseBasicAuth(h)).toEqual({});
  });

  it("reports Base64 that Java's strict decoder refuses, with the JDK's IllegalArgumentException message", () => {
    const cases: [string, string][] = [
      ["abc$", "Illegal base64 character 24"],
      ["dTpw-", "Illegal base64 character 2d"], // URL-safe alphabet: not the basic decoder's
      [" dTpw", "Illegal base64 character 20"], // a second space after the scheme
      ["dTpw\u00e9", "Illegal base64 character -17"], // a Latin-1 byte, printed signed as Java does
      ["Y", "Input byte[] should at least have 2 bytes for base64 bytes"],
      ["YWJj=", "Input byte array has wrong 4-byte ending unit"],
      ["YQ=x", "Input byte array has wrong 4-byte ending unit"],
      ["YWJjZA=", "Input byte array has wrong 4-byte ending unit"],
      ["YWJjZ", "Last unit does not have enough valid bits"],
      ["YQ==YQ", "Input byte array has incorrect ending byte at 4"],
    ];
    for (const [payload, message] of cases) {
      expect([payload, parseBasicAuth(`Basic ${payload}`)]).toEqual([payload, { malformed: message }]);
      expect(() => decodeJavaBase64(payload)).toThrow(message);
    }
    // Unpadded input is accepted, as by java.util.Base64.
    expect(decodeJavaBase64("dTpwdw").toString()).toBe("u:pw");
    expect(decodeJavaBase64("dTpwdw==").toString()).toBe("u:pw");
    expect(parseBasicAuth("Basic dTpwdw")).toEqual({ user: "u", password: "pw" });
  });

  it("admits everyone on an empty file, otherwise only a matching password", () => {
    const creds = new Map([["u", "p"]]);
    expect(basicAuthAdmits(new Map(), {})).toBe(true);
    expect(basicAuthAdmits(creds, { user: "u", password: "p" })).toBe(true);
    expect(basicAuthAdmits(creds, { user: "u", password: "x" })).toBe(false);
    expect(basicAuthAdmits(creds, {})).toBe(false);
  });
});

describe("versions", () => {
  it("parses X.Y and X.Y.Z and compares by major then minor", () => {
    expect(parseKafkaVersion("3.10.1")).toEqual({ major: 3, minor: 10 });
    expect(formatKafkaVersion(parseKafkaVersion("4.0"))).toBe("4.0.0");
    expect(kafkaVersionAtLeast(parseKafkaVersion("3.10"), "3.9")).toBe(true);
    expect(kafkaVersionAtLeast(parseKafkaVersion("2.8"), "3.0")).toBe(false);
    expect(kafkaVersionSupports(parseKafkaVersion("3.9"), "health")).toBe(true);
    expect(kafkaVersionSupports(parseKafkaVersion("3.8"), "health")).toBe(false);
    expect(() => parseKafkaVersion("v3")).toThrow("not a Kafka version");
  });
});

describe("config validation", () => {
  const plugin = {
    class: "com.example.XSourceConnector",
    type: "source" as const,
    version: "1",
    location: "classpath",
    config: [
      { name: "flag", type: "boolean" },
      { name: "big", type: "long" },
      { name: "ratio", type: "double", default: "1" },
      { name: "list", type: "list", default: "a, b" },
    ],
  };

  it("parses values like ConfigDef and reports Kafka's texts", () => {
    const { infos, errors } = validateConnectorConfig(
      { name: "x", "connector.class": "X", flag: "yes", big: "99999999999999999999", "tasks.max": " 3 " },
      plugin,
    );
    expect(errors).toEqual([
      "Invalid value yes for configuration flag: Expected value to be either true or false",
      "Invalid value 99999999999999999999 for configuration big: Not a number of type LONG",
    ]);
    expect(infos.error_count).toBe(2);
    const value = (n: string) => infos.configs.find((c) => c.definition?.name === n)?.value?.value;
    expect([value("tasks.max"), value("ratio"), value("list"), value("flag")]).toEqual([
      "3",
      "1.0",
      "a,b",
      null,
    ]);
  });

  it("validates after a failed parse, as ConfigDef#parseForValidate does: tasks.max=abc is two errors", () => {
    const value = (
      infos: { configs: { value: { name: string; value: string | null } | null }[] },
      n: string,
    ) => infos.configs.find((c) => c.value?.name === n)?.value?.value;
    const bad = validateConnectorConfig({ name: "x", "connector.class": "X", "tasks.max": "abc" }, plugin);
    // Range.atLeast(1) refuses the null the parse left behind.
    expect(bad.errors).toEqual([
      "Invalid value abc for configuration tasks.max: Not a number of type INT",
      "Invalid value null for configuration tasks.max: Value must be non-null",
    ]);
    expect(value(bad.infos, "tasks.max")).toBeNull();
    // Keys whose validator lets null pass, or that have none, report the parse failure once.
    const once = validateConnectorConfig(
      { "connector.class": "X", "errors.retry.timeout": "soon", "errors.log.enable": "maybe", big: "x" },
      plugin,
    );
    expect(once.errors).toEqual([
      'Missing required configuration "name" which has no default value.',
      "Invalid value soon for configuration errors.retry.timeout: Not a number of type LONG",
      "Invalid value maybe for configuration errors.log.enable: Expected value to be either true or false",
      "Invalid value x for configuration big: Not a number of type LONG",
    ]);
  });

  it("checks the framework's string choices (ValidString) on the trimmed value, as ConfigDef parses strings", () => {
    const { errors } = validateConnectorConfig(
      {
        name: "  ",
        "connector.class": "X",
        "errors.tolerance": "ALL",
        "config.action.reload": " none ",
      },
      plugin,
    );
    expect(errors).toEqual([
      "Invalid value  for configuration name: String may not be empty",
      "Invalid value ALL for configuration errors.tolerance: String must be one of: none, all",
    ]);
  });

  it("words the 400 per version", () => {
    expect(invalidConfigMessage(["e1", "e2"], true)).toBe(
      "Connector configuration is invalid and contains the following 2 error(s):\ne1\ne2\n" +
        "You can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`",
    );
    expect(invalidConfigMessage(["e1"], false)).toMatch(/`\/\{connectorType\}\/config\/validate`$/);
  });
});

describe("Jackson's unknown-property message", () => {
  const CLASS = "org.apache.kafka.connect.runtime.rest.entities.CreateConnectorRequest";
  const SOURCE = "(org.glassfish.jersey.message.internal.ReaderInterceptorExecutor$UnCloseableInputStream)";

  it("names the first unknown top-level key and locates the end of the object (bytes, 1-based)", () => {
    const body = Buffer.from('{"name":"é","config":{"x":{"initial_state":1}},"initial_state":"P","b":2}  ');
    expect(unrecognizedFieldMessage(body, CLASS, ["name", "config"])).toBe(
      `Unrecognized field "initial_state" (class ${CLASS}), not marked as ignorable ` +
        `(2 known properties: "name", "config"])\n at [Source: ${SOURCE}; line: 1, column: ${body.length - 1}]` +
        ` (through reference chain: ${CLASS}["initial_state"])`,
    );
  });

  it("counts lines as Jackson does (\\n, \\r\\n and a lone \\r)", () => {
    const body = Buffer.from('{\r\n  "name": "m",\r  "x": 1\n}\n');
    expect(unrecognizedFieldMessage(body, CLASS, ["name"])).toContain(
      '(one known property: "name"])\n at [Source: ' + SOURCE + "; line: 4, column: 2]",
    );
  });

  it("says nothing when every key is known or the body is not an object", () => {
    expect(unrecognizedFieldMessage(Buffer.from('{"name":"a"}'), CLASS, ["name"])).toBeUndefined();
    expect(unrecognizedFieldMessage(Buffer.from("[1]"), CLASS, ["name"])).toBeUndefined();
    expect(unrecognizedFieldMessage(Buffer.from(""), CLASS, ["name"])).toBeUndefined();
  });
});
