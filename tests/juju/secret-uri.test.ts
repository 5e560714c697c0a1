import { describe, expect, it } from "vitest";
import {
  formatSecretUri,
  invalidSecretKeys,
  isXid,
  newXid,
  parseSecretUri,
  sameSecret,
} from "../../lib/juju/index.js";

const UUID = "59060ecc-0495-4a80-8006-5f1fc13fd783";

describe("secret URIs", () => {
  it.each([
    ["secret:cjqub6vubg2s77p3nio0", { id: "cjqub6vubg2s77p3nio0" }],
    [`secret://${UUID}/cjqub7fubg2s77p3niog`, { id: "cjqub7fubg2s77p3niog", modelUuid: UUID }],
    ["9m4e2mr0ui3e8a215n4g", { id: "9m4e2mr0ui3e8a215n4g" }],
  ])("parses %s", (text, uri) => {
    expect(parseSecretUri(text)).toEqual(uri);
  });

  it("formats to the short or the model-qualified form and round-trips", () => {
    expect(formatSecretUri({ id: "9m4e2mr0ui3e8a215n4g" })).toBe("secret:9m4e2mr0ui3e8a215n4g");
    const full = `secret://${UUID}/9m4e2mr0ui3e8a215n4g`;
    expect(formatSecretUri(parseSecretUri(full))).toBe(full);
    expect(sameSecret(full, "secret:9m4e2mr0ui3e8a215n4g")).toBe(true);
    expect(sameSecret(full, "secret:cjqub6vubg2s77p3nio0")).toBe(false);
    expect(sameSecret("nonsense", "nonsense")).toBe(false);
  });

  it.each([
    "secret:",
    "secret:CJQUB6VUBG2S77P3NIO0",
    "secret:cjqub6vubg2s77p3nio1", // last char must be 0 or g
    "secret:cjqub6vubg2s77p3niw0", // w is not base32hex
    "secret:cjqub6vubg2s77p3ni0", // 19 chars
    "secret://not-a-uuid/cjqub6vubg2s77p3nio0",
    `secret://${UUID}`,
    "http://cjqub6vubg2s77p3nio0",
  ])("refuses %s with Juju's wording", (text) => {
    expect(() => parseSecretUri(text)).toThrow(`secret URI "${text}" not valid`);
  });

  it("makes valid, distinct xids that sort by time", () => {
    const ids = Array.from({ length: 1000 }, () => newXid());
    expect(ids.every(isXid)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    const early = newXid(Date.UTC(2020, 0, 1));
    const late = newXid(Date.UTC(2030, 0, 1));
    expect(early < late).toBe(true);
  });

  it("checks content keys against Juju's rule", () => {
    expect(invalidSecretKeys({ username: "", "tls-ca": "", "a-b-c": "" })).toEqual([]);
    expect(
      invalidSecretKeys({ ab: "", Username: "", "tls--ca": "", "-x-y": "", "x-": "", "1abc": "" }),
    ).toEqual(["ab", "Username", "tls--ca", "-x-y", "x-", "1abc"]);
  });
});
