import { rm } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { parseDigest, parseReprDigest } from "../../../lib/connect-client/plugin-fetcher/checksum.js";
import {
  digestHeaders,
  fetchPlugin,
  PluginFetchError,
  parsePluginUrl,
  withSha512Fragment,
} from "../../../lib/connect-client/plugin-fetcher/index.js";
import { entries, pluginFixture, pluginTarball, sendBody, serve, sha256, sha512 } from "./support.js";

const fx = pluginFixture();

const body = pluginTarball();
const goodSha512 = sha512(body);
const otherSha512 = sha512(Buffer.from("something else"));
const b64 = (hex: string) => Buffer.from(hex, "hex").toString("base64");

async function fetchWith(headers: Record<string, string>, url = "/plugin") {
  fx.server = await serve((_req, res) => sendBody(res, body, headers));
  const fullUrl = url.startsWith("/") ? fx.server.url(url) : url;
  return fetchPlugin({ url: fullUrl, pluginRoot: fx.root, relationId: 9 });
}

async function checksumFailure(promise: Promise<unknown>): Promise<PluginFetchError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PluginFetchError);
  expect(err).toMatchObject({ kind: "checksum", transient: false, attempts: 1, relationId: 9 });
  // Nothing extracted, nothing left over; and one request: a mismatch is not retried.
  expect(await entries(fx.root)).toEqual([]);
  expect(fx.server?.requests).toHaveLength(1);
  return err as PluginFetchError;
}

describe("checksums offered by the requirer or the server", () => {
  it("accepts a download matching the plugin-url fragment, which is never sent to the server", async () => {
    fx.server = await serve((_req, res) => sendBody(res, body));
    const got = await fetchPlugin({
      url: withSha512Fragment(fx.server.url("/plugin"), goodSha512.toUpperCase()),
      pluginRoot: fx.root,
      relationId: 9,
    });
    expect(got.sha512).toBe(goodSha512);
    expect(fx.server.requests.map((r) => r.url)).toEqual(["/plugin"]);
  });

  it("refuses a download not matching the fragment, naming the source with short prefixes only", async () => {
    fx.server = await serve((_req, res) => sendBody(res, body));
    const url = withSha512Fragment(fx.server.url("/plugin"), otherSha512);
    const err = await checksumFailure(fetchPlugin({ url, pluginRoot: fx.root, relationId: 9 }));
    expect(err.statusMessage).toBe(
      `plugin for relation 9: sha-512 from the plugin-url fragment (${otherSha512.slice(0, 12)}…) does not match ` +
        `the download (${goodSha512.slice(0, 12)}…) at ${fx.server.url("/plugin")}; fix the sha512 in plugin-url or the served file`,
    );
    expect(err.statusMessage).not.toContain(otherSha512.slice(0, 13));
  });

  it("accepts a matching Repr-Digest (both sha-512 and sha-256)", async () => {
    const got = await fetchWith({
      "repr-digest": `sha-256=:${b64(sha256(body))}:, sha-512=:${b64(goodSha512)}:, md5=:AAAA:`,
    });
    expect(got.sha256).toBe(sha256(body));
  });

  it("refuses a wrong Repr-Digest, naming the header and the algorithm", async () => {
    const err = await checksumFailure(
      fetchWith({ "repr-digest": `sha-256=:${b64(sha256(Buffer.from("x")))}:` }),
    );
    expect(err.problem).toMatch(/^sha-256 from the Repr-Digest header \([0-9a-f]{12}…\) does not match/);
    expect(err.fix).toBe("fix the plugin server's digest headers or the served file");
  });

  it("refuses a Repr-Digest it cannot read", async () => {
    const err = await checksumFailure(fetchWith({ "repr-digest": "sha-512=not-a-byte-sequence" }));
    expect(err.problem).toMatch(/^sha-512 from the Repr-Digest header \(an unreadable value\)/);
  });

  it("accepts a matching RFC 3230 Digest (algorithm names in any case)", async () => {
    const got = await fetchWith({ Digest: `SHA-512=${b64(goodSha512)}, sha-256=${b64(sha256(body))}` });
    expect(got.sha512).toBe(goodSha512);
  });

  it("accepts the digestHeaders() a requirer's server sends, and refuses a wrong RFC 3230 Digest", async () => {
    expect((await fetchWith(digestHeaders(goodSha512))).sha512).toBe(goodSha512);
    await fx.server?.close();
    await rm(fx.root, { recursive: true, force: true });
    const err = await checksumFailure(fetchWith({ Digest: `SHA-512=${b64(otherSha512)}` }));
    expect(err.problem).toMatch(/^sha-512 from the Digest header/);
  });

  it("checks every source: a good fragment does not excuse a wrong header", async () => {
    fx.server = await serve((_req, res) =>
      sendBody(res, body, { digest: `sha-256=${b64(sha256(Buffer.from("x")))}` }),
    );
    const url = withSha512Fragment(fx.server.url("/plugin"), goodSha512);
    const err = await checksumFailure(fetchPlugin({ url, pluginRoot: fx.root, relationId: 9 }));
    expect(err.problem).toMatch(/^sha-256 from the Digest header/);
  });
});

describe("the plugin-url convention (pure)", () => {
  const sha = "ab".repeat(64);

  it("splits the fragment off and lower-cases the hash", () => {
    expect(parsePluginUrl(`http://10.1.1.200:8080/api/v1/plugin#sha512=${sha.toUpperCase()}`)).toEqual({
      fetchUrl: "http://10.1.1.200:8080/api/v1/plugin",
      sha512: sha,
    });
    expect(parsePluginUrl("https://host/p.tar.gz?x=1")).toEqual({ fetchUrl: "https://host/p.tar.gz?x=1" });
    expect(parsePluginUrl("http://host/p#")).toEqual({ fetchUrl: "http://host/p" });
  });

  it("refuses a malformed or differently named checksum instead of ignoring it", () => {
    expect(() => parsePluginUrl("http://host/p#sha512=abc")).toThrow(/not 128 hex characters/);
    expect(() => parsePluginUrl(`http://host/p#sha256=${"a".repeat(64)}`)).toThrow(/names sha256/);
    expect(() => parsePluginUrl("NOT-REQUIRED")).toThrow(PluginFetchError);
  });

  /** The problem parsePluginUrl throws for `url`, checked to be a permanent bad-url. */
  function refusal(url: string): string {
    try {
      parsePluginUrl(url);
    } catch (err) {
      expect(err).toBeInstanceOf(PluginFetchError);
      expect(err).toMatchObject({ kind: "bad-url", transient: false, jujuStatus: "blocked" });
      return (err as PluginFetchError).problem;
    }
    throw new Error(`${url} was accepted`);
  }

  it("refuses every other fragment, naming the one form it reads (none is silently ignored)", () => {
    const b64 = Buffer.from(sha, "hex").toString("base64");
    const expected = "#sha512=<128 hex>";
    expect(refusal(`http://host/p#integrity=sha512-${b64}`)).toBe(
      `plugin-url fragment names integrity, but only ${expected} is supported`,
    );
    expect(refusal(`http://host/p#checksum=sha512:${sha}`)).toBe(
      `plugin-url fragment names checksum, but only ${expected} is supported`,
    );
    expect(refusal(`http://host/p#%20sha512=${sha}`)).toBe(
      `plugin-url fragment is not of the form ${expected}`,
    );
    expect(refusal(`http://host/p# sha512=${sha}`)).toBe(
      `plugin-url fragment is not of the form ${expected}`,
    );
    expect(refusal(`http://host/p#sha512=${sha}&sha512=${sha}`)).toBe(
      `plugin-url fragment sha512 is not 128 hex characters (expected ${expected})`,
    );
    expect(refusal(`http://host/p#SHA512=${sha}`)).toBe(
      `plugin-url fragment names SHA512, but only ${expected} is supported`,
    );
    expect(refusal("http://host/p#section")).toBe(`plugin-url fragment is not of the form ${expected}`);
    // The fragment's value never appears in the message.
    expect(refusal(`http://host/p#token=${"s3cret".repeat(3)}`)).not.toContain("s3cret");
  });

  it("refuses a malformed %-escape in userinfo as a bad URL, without echoing it", () => {
    expect(refusal("http://us%zzer:pw@host/p")).toBe(
      "plugin-url has a malformed %-escape in its user name or password",
    );
    expect(refusal("http://user:p%E0%A4%A@host/p")).not.toContain("p%E0");
    expect(parsePluginUrl("http://us%40er:p%25w@host/p")).toEqual({
      fetchUrl: "http://us%40er:p%25w@host/p",
    });
  });

  it("withSha512Fragment replaces any fragment and round-trips", () => {
    const url = withSha512Fragment("http://h:8080/api/v1/plugin#old", sha.toUpperCase());
    expect(url).toBe(`http://h:8080/api/v1/plugin#sha512=${sha}`);
    expect(parsePluginUrl(url)).toEqual({ fetchUrl: "http://h:8080/api/v1/plugin", sha512: sha });
    expect(() => withSha512Fragment("http://h/p", "abc")).toThrow(TypeError);
  });

  it("digestHeaders writes RFC 9530 and RFC 3230 forms that the parsers read back", () => {
    const headers = digestHeaders(goodSha512);
    expect(headers).toEqual({
      "Repr-Digest": `sha-512=:${b64(goodSha512)}:`,
      Digest: `SHA-512=${b64(goodSha512)}`,
    });
    expect(parseReprDigest(headers["Repr-Digest"])).toEqual([
      { algorithm: "sha-512", hex: goodSha512, source: "Repr-Digest header" },
    ]);
    expect(parseDigest(headers.Digest)).toEqual([
      { algorithm: "sha-512", hex: goodSha512, source: "Digest header" },
    ]);
    expect(parseDigest("MD5=abc, UNIXsum=1")).toEqual([]);
    expect(parseReprDigest("sha-512=:AA==:;foo=1")).toEqual([
      { algorithm: "sha-512", hex: "00", source: "Repr-Digest header" },
    ]);
  });
});
