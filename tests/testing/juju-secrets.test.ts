import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { CharmMeta } from "../../lib/juju/meta.js";
import { InconsistentScenarioError, JujuEmulator } from "../../lib/testing/juju/emulator.js";
import { type KitEvent, on } from "../../lib/testing/juju/events.js";
import { secretId } from "../../lib/testing/secret-id.js";

// Secrets at the tool level: exact {code, stdout, stderr} for every call, across several hooks and units
// (docs/reference/juju-hook-tools-facts.md, section 18).

const APP: CharmMeta = { name: "app", requires: { db: { interface: "pg" } } };
const PG: CharmMeta = { name: "pg", provides: { db: { interface: "pg" } } };
const DB = 3;
const XID = /^[0-9a-v]{19}[0g]$/;

/** app/0 (leader) and app/1 own secrets; pg/0 and pg/1 consume them over relation 3. */
function world() {
  const model = new JujuEmulator();
  model.deploy("app", APP, { units: 2 });
  model.deploy("pg", PG, { units: 2 });
  model.relate({ app: "app", endpoint: "db" }, { app: "pg", endpoint: "db" }, DB);
  return model;
}

async function hook(model: JujuEmulator, unit: string, event: KitEvent = on.updateStatus()) {
  const began = await model.begin(unit, event);
  return {
    began,
    run: (tool: string, ...args: string[]) => began.session.run(tool, args),
    finish: (exitCode = 0) => model.finish(began, event, exitCode),
  };
}

const out = (stdout: string) => ({ code: 0, stdout, stderr: "" });
const fail = (code: 1 | 2, message: string) => ({ code, stdout: "", stderr: `ERROR ${message}\n` });

/** Runs secret-add, checks it printed one new secret URI, and returns the bare xid. */
function added(result: { code: number; stdout: string; stderr: string }): string {
  expect(result.code).toBe(0);
  expect(result.stderr).toBe("");
  expect(result.stdout).toMatch(/^secret:[0-9a-v]{19}[0g]\n$/);
  return result.stdout.slice("secret:".length, -1);
}

/** app/0 creates an app-owned secret `pass=one`, grants it to pg over relation 3, and commits. */
async function grantedSecret(model: JujuEmulator, ...extra: string[]): Promise<string> {
  const h = await hook(model, "app/0");
  const id = added(h.run("secret-add", "--label", "creds", ...extra, "pass=one"));
  expect(h.run("secret-grant", id, "-r", "3")).toEqual(out(""));
  expect(h.finish()).toEqual({ committed: true, followUps: [] });
  return id;
}

const tmp = mkdtempSync(join(tmpdir(), "juju-secrets-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("secret-add", () => {
  it("needs leadership for an application-owned secret, not for a unit-owned one", async () => {
    const model = world();
    const h = await hook(model, "app/1");
    expect(h.run("secret-add", "pass=word")).toEqual(fail(1, "this unit is not the leader"));
    expect(h.run("secret-add", "--owner", "application", "pass=word")).toEqual(
      fail(1, "this unit is not the leader"),
    );
    const id = added(h.run("secret-add", "--owner", "unit", "--label", "mine", "pass=word"));
    expect(h.run("secret-info-get", id, "--format=json")).toEqual(
      out(`{"${id}":{"revision":1,"label":"mine","owner":"unit"}}\n`),
    );
    expect(h.finish().committed).toBe(true);
    // Another unit of the same application does not own a unit-owned secret.
    const lead = await hook(model, "app/0");
    expect(lead.run("secret-info-get", id)).toEqual(fail(1, `secret "${id}" not found`));
    expect(lead.run("secret-ids")).toEqual(out(""));
  });

  it("makes distinct, valid xids", async () => {
    const model = world();
    const h = await hook(model, "app/0");
    const ids = Array.from({ length: 200 }, () => added(h.run("secret-add", "num=v")));
    expect(ids.every((id) => XID.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(200);
    expect(h.finish().committed).toBe(true);
    const next = await hook(model, "app/0");
    const listed = next.run("secret-ids", "--format=json");
    expect(listed.code).toBe(0);
    expect(new Set(JSON.parse(listed.stdout) as string[])).toEqual(new Set(ids));
  });

  it("validates keys, values and metadata", async () => {
    const model = world();
    const h = await hook(model, "app/0");
    expect(h.run("secret-add")).toEqual(fail(2, "missing secret value or filename"));
    expect(h.run("secret-add", "--label", "x")).toEqual(fail(2, "missing secret value or filename"));
    expect(h.run("secret-add", "Foo=bar")).toEqual(fail(2, 'key "Foo" not valid'));
    expect(h.run("secret-add", "ab=bar")).toEqual(fail(2, 'key "ab" not valid'));
    expect(h.run("secret-add", "a--b=bar")).toEqual(fail(2, 'key "a--b" not valid'));
    expect(h.run("secret-add", "x")).toEqual(fail(2, 'key value "x" not valid'));
    expect(h.run("secret-add", "=x")).toEqual(fail(2, 'key value "=x" not valid'));
    // Trailing `=` is base64 padding, not a separator.
    expect(h.run("secret-add", "key==")).toEqual(fail(2, 'key value "key==" not valid'));
    expect(h.run("secret-add", "--owner", "model", "pass=x")).toEqual(
      fail(2, 'secret owner "model" not valid'),
    );
    expect(h.run("secret-add", "--rotate", "sometimes", "pass=x")).toEqual(
      fail(2, 'rotate policy "sometimes" not valid'),
    );
    expect(h.run("secret-add", "--expire", "-1h", "pass=x")).toEqual(
      fail(2, 'negative expire duration "-1h" not valid'),
    );
    expect(h.run("secret-add", "--expire", "2022-01-01", "pass=x")).toEqual(
      fail(2, 'expire time or duration "2022-01-01" not valid'),
    );
    expect(h.run("secret-add", "--format=json", "pass=x")).toEqual(
      fail(2, "option provided but not defined: --format"),
    );
    expect(h.run("secret-ids")).toEqual(out(""));
  });

  it("refuses a label used twice in the same hook", async () => {
    const model = world();
    const h = await hook(model, "app/0");
    const id = added(h.run("secret-add", "--label", "x", "pass=one"));
    expect(h.run("secret-add", "--label", "x", "pass=two")).toEqual(
      fail(1, 'secret with label "x" already exists'),
    );
    expect(h.run("secret-add", "--owner", "unit", "--label", "x", "pass=two")).toEqual(
      fail(1, 'secret with label "x" already exists'),
    );
    // A pending secret is found by its label.
    expect(h.run("secret-get", "--label", "x")).toEqual(out("pass: one\n"));
    expect(h.run("secret-ids")).toEqual(out(`${id}\n`));
  });

  it("reads key#file= from a file and key#base64= as encoded bytes", async () => {
    const model = world();
    const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    const path = join(tmp, "cert.pem");
    writeFileSync(path, pem);
    const h = await hook(model, "app/0");
    const id = added(h.run("secret-add", `cert#file=${path}`, "token#base64=aGVsbG8=", "plain=text"));
    expect(h.run("secret-get", id, "--format=json")).toEqual(
      out(`{"cert":${JSON.stringify(pem)},"plain":"text","token":"hello"}\n`),
    );
    expect(h.run("secret-get", id, "token")).toEqual(out("hello\n"));
    expect(h.run("secret-get", id, "token#base64")).toEqual(out("aGVsbG8=\n"));
    expect(h.run("secret-get", id, "plain#base64", "--format=json")).toEqual(out('"dGV4dA=="\n'));
    expect(h.run("secret-get", id, "cert", "--format=json")).toEqual(out(`${JSON.stringify(pem)}\n`));
    expect(h.run("secret-get", id, "nope")).toEqual(fail(1, 'secret key value "nope" not found'));
  });
});

describe("secret-get revisions", () => {
  it("pins a consumer to its first revision until it refreshes; --peek looks without moving", async () => {
    const model = world();
    const id = await grantedSecret(model);
    const uri = `secret:${id}`;

    // First read: the consumer tracks the latest revision (1).
    const first = await hook(model, "pg/0");
    expect(first.run("secret-get", uri)).toEqual(out("pass: one\n"));
    expect(first.finish()).toEqual({ committed: true, followUps: [] });

    const owner = await hook(model, "app/0");
    expect(owner.run("secret-set", uri, "pass=two")).toEqual(out(""));
    // secret-changed goes to consumers tracking an older revision: not the owner's units, not pg/1 (it
    // never read the secret).
    expect(owner.finish()).toEqual({
      committed: true,
      followUps: [{ unit: "pg/0", kind: "secret-changed", secretId: uri }],
    });

    const changed = await hook(model, "pg/0", on.secretChanged(uri));
    expect(changed.began.env.JUJU_SECRET_ID).toBe(uri);
    expect(changed.run("secret-get", uri, "pass")).toEqual(out("one\n"));
    expect(changed.run("secret-get", uri, "pass", "--peek")).toEqual(out("two\n"));
    expect(changed.run("secret-get", uri, "pass")).toEqual(out("one\n"));
    expect(changed.run("secret-get", uri, "pass", "--refresh")).toEqual(out("two\n"));
    expect(changed.run("secret-get", uri, "pass")).toEqual(out("two\n"));
    expect(changed.finish()).toEqual({ committed: true, followUps: [] });

    const later = await hook(model, "pg/0");
    expect(later.run("secret-get", uri, "pass")).toEqual(out("two\n"));
    // A unit reading for the first time gets the latest.
    const pg1 = await hook(model, "pg/1");
    expect(pg1.run("secret-get", uri, "pass")).toEqual(out("two\n"));
    expect(pg1.finish().committed).toBe(true);

    // Both consumers now track revision 2; a third revision notifies both.
    const third = await hook(model, "app/0");
    expect(third.run("secret-set", uri, "pass=three")).toEqual(out(""));
    expect(third.finish().followUps).toEqual([
      { unit: "pg/0", kind: "secret-changed", secretId: uri },
      { unit: "pg/1", kind: "secret-changed", secretId: uri },
    ]);
  });

  it("drops a refresh when the consumer's hook fails", async () => {
    const model = world();
    const id = await grantedSecret(model);
    const read = await hook(model, "pg/0");
    expect(read.run("secret-get", id, "pass")).toEqual(out("one\n"));
    read.finish();
    const owner = await hook(model, "app/0");
    expect(owner.run("secret-set", id, "pass=two")).toEqual(out(""));
    owner.finish();

    const failed = await hook(model, "pg/0");
    expect(failed.run("secret-get", id, "pass", "--refresh")).toEqual(out("two\n"));
    expect(failed.finish(1)).toEqual({ committed: false, followUps: [] });
    const next = await hook(model, "pg/0");
    expect(next.run("secret-get", id, "pass")).toEqual(out("one\n"));
  });

  it("always gives owners the latest committed revision", async () => {
    const model = world();
    const id = await grantedSecret(model);
    const set = await hook(model, "app/0");
    expect(set.run("secret-set", id, "pass=two")).toEqual(out(""));
    // This hook's pending update shows only with --peek or --refresh; plain reads ask the controller.
    expect(set.run("secret-get", id, "pass")).toEqual(out("one\n"));
    expect(set.run("secret-get", id, "pass", "--peek")).toEqual(out("two\n"));
    expect(set.run("secret-get", id, "pass", "--refresh")).toEqual(out("two\n"));
    expect(set.finish().committed).toBe(true);

    for (const unit of ["app/0", "app/1"]) {
      const h = await hook(model, unit);
      expect(h.run("secret-get", id, "pass")).toEqual(out("two\n"));
      // With --label, the first positional would be the URI: no key can be named.
      expect(h.run("secret-get", "--label", "creds")).toEqual(out("pass: two\n"));
      expect(h.run("secret-get", "--label", "creds", "pass")).toEqual(fail(2, 'secret URI "pass" not valid'));
    }
  });

  it("makes no new revision for identical content", async () => {
    const model = world();
    const id = await grantedSecret(model);
    const read = await hook(model, "pg/0");
    expect(read.run("secret-get", id)).toEqual(out("pass: one\n"));
    read.finish();

    const same = await hook(model, "app/0");
    expect(same.run("secret-set", id, "pass=one")).toEqual(out(""));
    expect(same.run("secret-set", id, "--description", "metadata only")).toEqual(out(""));
    expect(same.finish()).toEqual({ committed: true, followUps: [] });
    const info = await hook(model, "app/0");
    expect(info.run("secret-info-get", id, "--format=json")).toEqual(
      out(`{"${id}":{"revision":1,"label":"creds","owner":"application","description":"metadata only"}}\n`),
    );
  });

  it("refuses a secret-changed event for a unit of the owning application", async () => {
    const model = world();
    const id = await grantedSecret(model);
    for (const unit of ["app/0", "app/1"]) {
      expect(() => model.hookEnv(unit, on.secretChanged(`secret:${id}`))).toThrow(
        new InconsistentScenarioError(
          `secret-changed goes to consumers only, but "${unit}" owns secret:${id} (owners get secret-rotate, secret-expired and secret-remove)`,
        ),
      );
    }
    await expect(model.begin("app/0", on.secretChanged(id))).rejects.toBeInstanceOf(
      InconsistentScenarioError,
    );
    expect(() => model.hookEnv("pg/0", on.secretRotate(id))).toThrow(
      new InconsistentScenarioError(`secret-rotate goes to the owner only, but "pg/0" does not own ${id}`),
    );
    expect(model.hookEnv("app/1", on.secretRotate(id))).toMatchObject({
      JUJU_SECRET_ID: `secret:${id}`,
      JUJU_SECRET_LABEL: "creds",
    });
  });

  it("checks secret-get's arguments", async () => {
    const model = world();
    const id = await grantedSecret(model);
    const h = await hook(model, "pg/0");
    expect(h.run("secret-get")).toEqual(fail(2, "require either a secret URI or label"));
    expect(h.run("secret-get", id, "--peek", "--refresh")).toEqual(
      fail(2, "specify one of --peek or --refresh but not both"),
    );
    expect(h.run("secret-get", "foo")).toEqual(fail(2, 'secret URI "foo" not valid'));
    expect(h.run("secret-get", id, "pass", "more")).toEqual(fail(2, 'unrecognized args: ["more"]'));
    const unknown = secretId();
    expect(h.run("secret-get", `secret:${unknown}`)).toEqual(fail(1, `secret "secret:${unknown}" not found`));
    expect(h.run("secret-get", "--label", "nope")).toEqual(fail(1, 'consumer label "nope" not found'));
    // The three URI forms name the same secret; a label given with the URI becomes the consumer label.
    expect(h.run("secret-get", id, "pass")).toEqual(out("one\n"));
    expect(h.run("secret-get", `secret://${model.state.uuid}/${id}`, "pass")).toEqual(out("one\n"));
    expect(h.run("secret-get", `secret:${id}`, "--label", "their-creds", "pass")).toEqual(out("one\n"));
    expect(h.run("secret-get", "--label", "their-creds", "--format=json")).toEqual(out('{"pass":"one"}\n'));
  });
});

describe("secret grants", () => {
  it("denies a consumer without a grant and allows it over the granting relation", async () => {
    const model = world();
    const h = await hook(model, "app/0");
    const id = added(h.run("secret-add", "pass=one"));
    h.finish();

    const denied = await hook(model, "pg/0");
    expect(denied.run("secret-get", id)).toEqual(fail(1, "permission denied"));
    expect(denied.run("secret-info-get", id)).toEqual(fail(1, `secret "${id}" not found`));
    denied.finish();

    const grant = await hook(model, "app/0");
    expect(grant.run("secret-grant", id, "-r", "db:3")).toEqual(out(""));
    // Until the grant commits nobody can read.
    const early = await hook(model, "pg/0");
    expect(early.run("secret-get", id)).toEqual(fail(1, "permission denied"));
    expect(grant.finish().committed).toBe(true);

    const allowed = await hook(model, "pg/1");
    expect(allowed.run("secret-get", id)).toEqual(out("pass: one\n"));
  });

  it("loses the grant when the relation is removed", async () => {
    const model = world();
    const id = await grantedSecret(model);
    const before = await hook(model, "pg/0");
    expect(before.run("secret-get", id, "pass")).toEqual(out("one\n"));
    before.finish();

    model.removeRelation(DB);
    const after = await hook(model, "pg/0");
    expect(after.run("secret-get", id, "pass")).toEqual(fail(1, "permission denied"));
    const owner = await hook(model, "app/0");
    expect(owner.run("secret-grant", id, "-r", "3")).toEqual(
      fail(2, 'invalid value "3" for option -r: relation not found'),
    );
  });

  it("loses the grant when relation-broken commits", async () => {
    const model = world();
    const id = await grantedSecret(model);
    for (const unit of ["app/1", "pg/0"]) (await hook(model, unit)).finish();
    for (const unit of ["app/0", "app/1", "pg/0"]) {
      // The relation (and the grant) lasts until every unit on both sides has run relation-broken.
      expect(model.state.relations[String(DB)]).toBeDefined();
      const broken = await hook(model, unit, on.relationBroken(DB));
      expect(broken.finish().committed).toBe(true);
    }
    expect(model.state.relations[String(DB)]).toBeUndefined();
    const after = await hook(model, "pg/0");
    expect(after.run("secret-get", id)).toEqual(fail(1, "permission denied"));
  });

  it("grants to one unit of the related application only", async () => {
    const model = world();
    const h = await hook(model, "app/0");
    const id = added(h.run("secret-add", "pass=one"));
    expect(h.run("secret-grant", id, "-r", "3", "--unit", "app/1")).toEqual(
      fail(2, 'cannot specify unit "app/1" in relation to application "pg"'),
    );
    expect(h.run("secret-grant", id, "-r", "3", "--unit", "pg")).toEqual(fail(2, 'unit "pg" not valid'));
    expect(h.run("secret-grant", id)).toEqual(fail(2, "no relation id specified"));
    expect(h.run("secret-grant", "-r", "3")).toEqual(fail(2, "missing secret URI"));
    expect(h.run("secret-grant", id, "-r", "3", "--unit", "pg/1")).toEqual(out(""));
    expect(h.run("secret-grant", id, "-r", "3")).toEqual(
      fail(
        1,
        "any unit level grants need to be revoked before granting access to the corresponding application",
      ),
    );
    h.finish();
    const pg0 = await hook(model, "pg/0");
    expect(pg0.run("secret-get", id)).toEqual(fail(1, "permission denied"));
    const pg1 = await hook(model, "pg/1");
    expect(pg1.run("secret-get", id)).toEqual(out("pass: one\n"));
  });

  it("refuses grants by a non-owner or a non-leader, and revokes", async () => {
    const model = world();
    const id = await grantedSecret(model);
    const consumer = await hook(model, "pg/0");
    expect(consumer.run("secret-grant", id, "-r", "3")).toEqual(fail(1, `secret "${id}" not found`));
    const follower = await hook(model, "app/1");
    expect(follower.run("secret-grant", id, "-r", "3")).toEqual(fail(1, "this unit is not the leader"));
    expect(follower.run("secret-set", id, "pass=two")).toEqual(fail(1, "this unit is not the leader"));
    expect(follower.run("secret-revoke", id, "-r", "3")).toEqual(fail(1, "this unit is not the leader"));

    const lead = await hook(model, "app/0");
    expect(lead.run("secret-revoke", id)).toEqual(fail(2, "missing relation or application or unit"));
    expect(lead.run("secret-revoke", id, "--app", "pg", "--unit", "pg/0")).toEqual(
      fail(2, "specify only one of application or unit"),
    );
    expect(lead.run("secret-revoke", id, "-r", "3")).toEqual(out(""));
    lead.finish();
    const revoked = await hook(model, "pg/0");
    expect(revoked.run("secret-get", id)).toEqual(fail(1, "permission denied"));
  });
});

describe("secret metadata tools", () => {
  it("keys secret-info-get by the bare xid, fields in Juju's order", async () => {
    const model = world();
    const h = await hook(model, "app/0");
    const id = added(
      h.run("secret-add", "--label", "creds", "--description", "db creds", "--rotate", "daily", "pass=bcd"),
    );
    expect(h.run("secret-info-get", id)).toEqual(
      out(
        `${id}:\n  revision: 1\n  label: creds\n  owner: application\n  description: db creds\n  rotation: daily\n`,
      ),
    );
    expect(h.run("secret-info-get", "--label", "creds", "--format=json")).toEqual(
      out(
        `{"${id}":{"revision":1,"label":"creds","owner":"application","description":"db creds","rotation":"daily"}}\n`,
      ),
    );
    expect(h.run("secret-info-get", `secret:${id}`, "--label", "creds")).toEqual(
      fail(2, "specify either a secret URI or label but not both"),
    );
    expect(h.run("secret-info-get")).toEqual(fail(2, "require either a secret URI or label"));
    expect(h.run("secret-info-get", "--label", "nope")).toEqual(fail(1, 'secret "nope" not found'));
    expect(h.run("secret-set", id, "pass=efg")).toEqual(out(""));
    expect(h.finish().committed).toBe(true);
    const next = await hook(model, "app/1");
    expect(next.run("secret-info-get", id, "--format=json")).toEqual(
      out(
        `{"${id}":{"revision":2,"label":"creds","owner":"application","description":"db creds","rotation":"daily"}}\n`,
      ),
    );
  });

  it("lists owned secret ids as bare xids, null in json when there are none", async () => {
    const model = world();
    const h = await hook(model, "app/0");
    expect(h.run("secret-ids")).toEqual(out(""));
    expect(h.run("secret-ids", "--format=json")).toEqual(out("null\n"));
    expect(h.run("secret-ids", "--format=yaml")).toEqual(out(""));
    const a = added(h.run("secret-add", "pass=one"));
    const b = added(h.run("secret-add", "--owner", "unit", "pass=two"));
    expect(h.run("secret-ids")).toEqual(out(`${a}\n${b}\n`));
    expect(h.run("secret-ids", "--format=json")).toEqual(out(`["${a}","${b}"]\n`));
    // A pending removal is no longer listed.
    expect(h.run("secret-remove", a)).toEqual(out(""));
    expect(h.run("secret-ids")).toEqual(out(`${b}\n`));
    expect(h.finish().committed).toBe(true);
    // The consumer side owns nothing.
    const consumer = await hook(model, "pg/0");
    expect(consumer.run("secret-ids", "--format=json")).toEqual(out("null\n"));
  });

  it("accepts secret-set on an unknown secret but fails the hook at commit", async () => {
    const model = world();
    const relationsBefore = structuredClone(model.state.relations);
    const unknown = secretId();
    const h = await hook(model, "app/0");
    expect(h.run("relation-set", "-r", "3", "a=1")).toEqual(out(""));
    expect(h.run("secret-set", `secret:${unknown}`, "pass=x")).toEqual(out(""));
    expect(h.run("secret-set")).toEqual(fail(2, "missing secret URI"));
    expect(h.run("secret-set", "foo", "pass=x")).toEqual(fail(2, 'secret URI "foo" not valid'));
    expect(h.finish()).toEqual({
      committed: false,
      followUps: [],
      error: `secret "secret:${unknown}" not found`,
    });
    // Nothing of the hook was committed.
    expect(model.state.relations).toEqual(relationsBefore);
  });
});
