import { describe, expect, it } from "vitest";
import { parseJavaProperties } from "../../../lib/testing/index.js";
import { connectorsToDelete, departureRegex } from "../../../lib/testing/reference-provider/src/cleanup.js";
import {
  schemeOf,
  wantedScheme,
  workerConfigText,
} from "../../../lib/testing/reference-provider/src/listener.js";
import {
  decodeReadiness,
  encodeReadiness,
  planPublish,
  unitsOnOtherScheme,
} from "../../../lib/testing/reference-provider/src/readiness.js";
import {
  credentialsFileText,
  loadDigest,
  newPassword,
  relationOfUser,
  wantedUsers,
} from "../../../lib/testing/reference-provider/src/users.js";
import { parseControlInfo } from "../../../lib/testing/reference-provider/src/worker-control.js";

const HEX = "0123456789abcdef0123456789abcdef";

describe("departure deletion: Canonical's regex (KC tests/unit/test_connect_manager.py cases)", () => {
  it.each([
    [`long-connector-name-r11_${HEX}`, 11, true],
    [`app-r11_${HEX}`, 11, true],
    ["connector", 11, false],
    ["my-app", 11, false],
    [HEX, 11, false],
    [`app-r11_${HEX}`, 1, false],
  ])("%s for relation %i: %s", (name, relation, match) => {
    expect(departureRegex(relation).test(name)).toBe(match);
  });

  it("anchors like re.match: a trailing newline matches, anything else after the hex does not", () => {
    expect(
      connectorsToDelete([`a_r3_${HEX}\n`, `a_r3_${HEX}x`, `r3_${HEX}`, `a_r3_${HEX.toUpperCase()}`], 3),
    ).toEqual([`a_r3_${HEX}\n`]);
  });

  it("refuses a relation id that is not a non-negative integer", () => {
    expect(() => departureRegex(-1)).toThrow(RangeError);
    expect(() => departureRegex(1.5)).toThrow(RangeError);
  });
});

describe("users", () => {
  it("passwords are 32 characters of [A-Za-z0-9] and differ", () => {
    const a = newPassword();
    expect(a).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(newPassword()).not.toBe(a);
  });

  it("keeps live passwords, adds new relations, drops gone ones", () => {
    let n = 0;
    const pw = () => `p${++n}`;
    const first = wantedUsers({}, [10, 1], pw);
    expect(first).toEqual({ users: { admin: "p1", "relation-1": "p2", "relation-10": "p3" }, changed: true });
    expect(wantedUsers(first.users, [1, 10], pw)).toEqual({ users: first.users, changed: false });
    expect(wantedUsers(first.users, [10], pw)).toEqual({
      users: { admin: "p1", "relation-10": "p3" },
      changed: true,
    });
  });

  it("the credentials file round-trips through Java's properties rules, in a stable order", () => {
    const users = { "relation-2": "b=c:d", admin: " x#" };
    const text = credentialsFileText(users);
    expect(text).toBe(credentialsFileText({ admin: " x#", "relation-2": "b=c:d" }));
    expect(Object.fromEntries(parseJavaProperties(text))).toEqual(users);
  });

  it("relation users are recognised exactly", () => {
    expect(relationOfUser("relation-10")).toBe(10);
    expect(relationOfUser("relation-01")).toBeUndefined();
    expect(relationOfUser("admin")).toBeUndefined();
  });

  it("the load digest changes with the users and with the plugin dirs, not with their order", () => {
    const d = loadDigest("a=b\n", ["/p/relation-1-x", "/p/relation-2-y"]);
    expect(loadDigest("a=b\n", ["/p/relation-2-y", "/p/relation-1-x"])).toBe(d);
    expect(loadDigest("a=c\n", ["/p/relation-1-x", "/p/relation-2-y"])).not.toBe(d);
    expect(loadDigest("a=b\n", ["/p/relation-1-x"])).not.toBe(d);
  });

  it("the load digest changes with the worker's listener (a scheme switch is a restart)", () => {
    const dirs = ["/p/relation-1-x"];
    const http = loadDigest("a=b\n", dirs, "listeners=http://:8083\n");
    expect(loadDigest("a=b\n", dirs, "listeners=https://:8083\n")).not.toBe(http);
    expect(loadDigest("a=b\n", dirs, "listeners=http://:8083\n")).toBe(http);
  });
});

describe("readiness", () => {
  const bag = (endpoint: string, version: number, relations: number[]) => ({
    "rest-endpoint": endpoint,
    ready: encodeReadiness({ version, relations }),
  });

  it("counts a unit ready only at the current version and with the relation", () => {
    const units = [
      { unit: "kc/0", bag: bag("http://10.0.0.2:8083", 2, [1]) },
      { unit: "kc/1", bag: bag("http://10.0.0.1:8083", 1, [1]) },
      { unit: "kc/2", bag: bag("http://10.0.0.3:8083", 2, [4]) },
    ];
    expect(planPublish(units, 2, 1)).toEqual({
      endpoints: ["http://10.0.0.1:8083", "http://10.0.0.2:8083", "http://10.0.0.3:8083"],
      ready: 1,
      total: 3,
    });
  });

  it("with https wanted, a unit still on http is not ready, and counts as behind", () => {
    const units = [
      { unit: "kc/0", bag: bag("https://10.0.0.1:8083", 2, [1]) },
      { unit: "kc/1", bag: bag("http://10.0.0.2:8083", 2, [1]) },
      { unit: "kc/2", bag: { ready: encodeReadiness({ version: 2, relations: [1] }) } }, // no endpoint yet
    ];
    expect(planPublish(units, 2, 1, "https")).toMatchObject({ ready: 1, total: 3 });
    expect(planPublish(units, 2, 1, "http")).toMatchObject({ ready: 1, total: 3 });
    expect(unitsOnOtherScheme(units, "https")).toBe(1);
    expect(unitsOnOtherScheme(units, "http")).toBe(1);
    expect(unitsOnOtherScheme(units.slice(0, 1), "https")).toBe(0);
  });

  it("the listener: https only for tls === true, on the endpoint's port", () => {
    expect(wantedScheme(true)).toBe("https");
    for (const v of [false, undefined, "true", 1]) expect(wantedScheme(v)).toBe("http");
    expect(workerConfigText("https", "http://127.0.0.1:40123")).toBe("listeners=https://:40123\n");
    expect(workerConfigText("http", "https://127.0.0.1")).toBe("listeners=http://:443\n");
    expect([schemeOf("https://h:1"), schemeOf("http://h:1"), schemeOf("ftp://h:1")]).toEqual([
      "https",
      "http",
      undefined,
    ]);
  });

  it("ignores malformed, oversized and credential-bearing values from other units", () => {
    expect(decodeReadiness("{")).toBeUndefined();
    expect(decodeReadiness(JSON.stringify({ version: 1, relations: [-1] }))).toBeUndefined();
    expect(decodeReadiness(`{"version":1,"relations":[${"1,".repeat(40_000)}1]}`)).toBeUndefined();
    const units = [{ unit: "kc/0", bag: { "rest-endpoint": "http://u:p@10.0.0.1:8083", ready: "[]" } }];
    expect(planPublish(units, 0, 1)).toEqual({ endpoints: [], ready: 0, total: 1 });
  });
});

describe("worker control answers", () => {
  const good = {
    index: 1,
    endpoint: "http://127.0.0.1:1",
    running: true,
    pluginPath: "/p",
    credentialsFile: "/c",
    configFile: "/w/connect-distributed.properties",
    caFile: null,
  };
  it("accepts the documented shape; an answer without configFile has none", () => {
    expect(parseControlInfo(JSON.stringify(good))).toEqual(good);
    const { configFile: _, ...older } = good;
    expect(parseControlInfo(JSON.stringify(older))).toEqual({ ...older, configFile: null });
  });
  it.each([
    ["not JSON", "<html>"],
    ["no index", JSON.stringify({ ...good, index: -1 })],
    ["no plugin path", JSON.stringify({ ...good, pluginPath: "" })],
    ["a caFile that is not a path", JSON.stringify({ ...good, caFile: 3 })],
    ["a configFile that is not a path", JSON.stringify({ ...good, configFile: ["/x"] })],
    ["a relative configFile", JSON.stringify({ ...good, configFile: "connect-distributed.properties" })],
    ["a dotted configFile", JSON.stringify({ ...good, configFile: "/w/../etc/x" })],
  ])("refuses %s", (_, text) => {
    expect(() => parseControlInfo(text)).toThrow(/worker control/);
  });
});
