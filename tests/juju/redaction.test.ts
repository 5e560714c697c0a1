/**
 * Secret values in the forms a charm's text carries them: JSON-serialised (quotes, backslashes, newlines
 * escaped), URL- and form-encoded, base64, a PEM key's lines. The action-set guard checks the raw values that
 * would go on argv; juju-log, status, action-fail/log and the hook-failure text are redacted of every form.
 */
import { describe, expect, it } from "vitest";
import {
  type CharmMeta,
  failureText,
  Hook,
  MAX_FAILURE_TEXT,
  Redactor,
  runHook,
  secretForms,
} from "../../lib/juju/index.js";
import { JujuEmulator, on, SessionToolRunner } from "../../lib/testing/index.js";

const META = {
  name: "app",
  actions: { show: { params: {} } },
} as const satisfies CharmMeta;

/** A private key as charms hold them (the body is made up: only its shape matters). */
const PEM = [
  "-----BEGIN PRIVATE KEY-----",
  "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgQ8x0Yt3m4qzR0uYy",
  "Kd2v7xWc1fJpN5sL9aBhE6tUoG2hRANCAAR0q1wQp7dVbXkPz3nY8cFm2LsJ4eHa",
  "-----END PRIVATE KEY-----",
].join("\n");
/** Every character JSON, URL and form encoding change. */
const PASSWORD = 'p@ss "quoted" back\\slash/ü&x=1+2';

async function setup(event = on.action("show", {})) {
  const model = new JujuEmulator();
  model.deploy("app", META, { units: 1 });
  const began = await model.begin("app/0", event);
  const hook = new Hook({ meta: META, env: began.env, runner: new SessionToolRunner(began.session) });
  await hook.secrets.add({ "tls-key": PEM, password: PASSWORD }, { label: "creds" });
  /** Every argv string the hook tools were given, raw (not JSON-escaped, which would hide newlines). */
  const argv = () => began.session.effects.toolCalls.flatMap((c) => c.args);
  return { hook, argv };
}

/** Fails if any argv string holds a secret value in a form a reader could decode. */
function expectNoSecret(strings: readonly string[]): void {
  const forms = [...secretForms(PEM), ...secretForms(PASSWORD)];
  for (const s of strings) for (const form of forms) expect(s).not.toContain(form);
}

describe("secretForms", () => {
  it("the value, JSON-escaped (once, twice, ASCII-only), URL- and form-encoded, base64, and a PEM's long lines", () => {
    const forms = secretForms(PASSWORD);
    expect(forms).toEqual(
      expect.arrayContaining([
        PASSWORD,
        JSON.stringify(PASSWORD).slice(1, -1),
        JSON.stringify(JSON.stringify(PASSWORD).slice(1, -1)).slice(1, -1),
        JSON.stringify(PASSWORD).slice(1, -1).replace("ü", "\\u00fc"),
        encodeURIComponent(PASSWORD),
        new URLSearchParams({ v: PASSWORD }).toString().slice(2),
        Buffer.from(PASSWORD).toString("base64").replace(/=+$/, ""),
        Buffer.from(PASSWORD).toString("base64url"),
      ]),
    );
    const pem = secretForms(PEM);
    expect(pem).toEqual(expect.arrayContaining([PEM, PEM.replace(/\n/g, "\r\n"), PEM.split("\n")[1]]));
    expect(pem).toContain("-----BEGIN PRIVATE KEY-----");
    // A lone surrogate cannot be percent-encoded; the other forms still are.
    expect(secretForms("abc\ud800def")).toContain("abc\\ud800def");
  });

  it("short values are still redacted as they are, but their base64 is not matched everywhere", () => {
    const redactor = new Redactor();
    redactor.add("ab");
    expect(redactor.redact("tab ab")).toBe("t*** ***");
    // "YWI" is base64 of "ab": a chance match in any certificate or token, left alone.
    expect(redactor.redact("cert MIIYWIx")).toBe("cert MIIYWIx");
    redactor.add("abcdef");
    expect(redactor.redact(`token ${Buffer.from("abcdef").toString("base64")}`)).toBe("token ***");
  });

  it("the whole value is replaced before its lines, leaving no fragment", () => {
    const redactor = new Redactor();
    redactor.add(PEM);
    expect(redactor.redact(`key:\n${PEM}\nend`)).toBe("key:\n***\nend");
    expect(redactor.redact(`one line: ${PEM.split("\n")[2]}`)).toBe("one line: ***");
  });
});

describe("action-set refuses any form of a secret on argv", () => {
  it("a PEM key, a value with quotes and backslashes, in an array, or base64-encoded", async () => {
    const { hook, argv } = await setup();
    const refusals = [
      { key: PEM },
      { pw: PASSWORD },
      { nested: { list: [PASSWORD] } },
      { encoded: Buffer.from(PEM).toString("base64") },
      { url: `https://admin:${encodeURIComponent(PASSWORD)}@db:5432` },
    ];
    for (const results of refusals) {
      await expect(hook.action!.set(results)).rejects.toThrow("action-set refused");
    }
    await hook.action!.set({ fine: "nothing secret", count: 3 });
    expectNoSecret(argv());
    expect(argv()).toContain("fine=nothing secret");
  });
});

describe("juju-log, status, action-fail and the hook failure are redacted of every form", () => {
  it("JSON-serialised, URL-encoded, form-encoded, base64 and one line of the key", async () => {
    const { hook, argv } = await setup();
    await hook.log.info(`config ${JSON.stringify({ key: PEM, password: PASSWORD })}`);
    await hook.log.info(`double ${JSON.stringify({ body: JSON.stringify({ password: PASSWORD }) })}`);
    await hook.log.warning(`dsn postgres://admin:${encodeURIComponent(PASSWORD)}@db/x`);
    await hook.log.debug(`form ${new URLSearchParams({ password: PASSWORD })}`);
    await hook.log.debug(`header Basic ${Buffer.from(PASSWORD).toString("base64")}`);
    await hook.log.debug(`line ${PEM.split("\n")[1]}`);
    await hook.setUnitStatus("blocked", `bad ${JSON.stringify(PASSWORD)}`);
    await hook.action!.fail(`failed with ${JSON.stringify({ key: PEM })}`);
    await hook.action!.log(`progress ${encodeURIComponent(PASSWORD)}`);
    expectNoSecret(argv());
    const joined = argv().join("\n");
    expect(joined).toContain('config {"key":"***","password":"***"}');
    expect(joined).toContain("dsn postgres://admin:***@db/x");
    expect(joined).toContain("form password=***");
    expect(joined).toContain("line ***");
    expect(joined).toContain('bad "***"');
  });

  it("the hook-failure text: redacted of escaped forms, then bounded", async () => {
    const { hook, argv } = await setup(on.updateStatus());
    const outcome = await runHook(() => {
      throw new Error(`cannot connect with ${JSON.stringify({ key: PEM, password: PASSWORD })}`);
    }, hook);
    expect(outcome.failure).toBe('Error: cannot connect with {"key":"***","password":"***"}');
    expectNoSecret(argv());
    expect(argv().join("\n")).toContain('hook failed: Error: cannot connect with {"key":"***"');

    const redactor = new Redactor();
    redactor.add(PASSWORD);
    const huge = failureText(
      redactor,
      new Error(`${encodeURIComponent(PASSWORD)} ${"x".repeat(10_000_000)}`),
    );
    expect(huge.length).toBeLessThanOrEqual(MAX_FAILURE_TEXT);
    expect(huge).toMatch(/^Error: \*\*\* x+ … \[cut: 10000011 characters in all\]$/);
  });
});
