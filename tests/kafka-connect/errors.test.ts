import { describe, expect, it } from "vitest";
import {
  classifyResponse,
  classifyTransportError,
  KafkaConnectError,
  nextRetry,
  parseInvalidConfigMessage,
} from "../../lib/kafka-connect/index.js";
import {
  ALREADY_EXISTS,
  CONFIG_SECRET,
  CONNECTOR,
  errorBody,
  INVALID_CONFIG,
  INVALID_CONFIG_ERRORS,
  INVALID_CONFIG_PRE_2_5,
  NAME_MISMATCH,
  NO_CONNECTOR_TYPE,
  NOT_FOUND,
  NOT_STOPPED,
  REBALANCING,
  REQUEST_TIMED_OUT,
  TOPIC_RESET_DISABLED,
  UNAUTHORIZED_TEXT,
  UNKNOWN_CLASS,
} from "./support/fixtures.js";

const json = (status: number, message: string) => JSON.stringify(errorBody(status, message));

describe("classifyResponse: every worker message", () => {
  it.each([
    ["connectorNotFound", "connector-not-found", CONNECTOR, undefined],
    ["unknownConnector", "unknown-connector", CONNECTOR, undefined],
    ["unknownConnectorColon", "unknown-connector", CONNECTOR, undefined],
    ["noConnectorStatus", "no-connector-status", CONNECTOR, undefined],
    ["connectorStatusNotFound", "connector-status-not-found", CONNECTOR, undefined],
    ["noTaskStatus", "no-task-status", `${CONNECTOR}-2`, 2],
    ["unknownTask", "unknown-task", `${CONNECTOR}-2`, 2],
  ] as const)("404 %s → not-found/%s", (key, variant, subject, task) => {
    const message = NOT_FOUND[key];
    const failure = classifyResponse(404, json(404, message));
    expect(failure).toEqual({
      kind: "not-found",
      variant,
      status: 404,
      errorCode: 404,
      message,
      subject,
      connector: CONNECTOR,
      ...(task === undefined ? {} : { task }),
    });
  });

  it("a connector name with dashes keeps them; the task number is after the last dash", () => {
    const failure = classifyResponse(404, json(404, "No status found for task a-b-c-10"));
    expect(failure).toMatchObject({ connector: "a-b-c", task: 10, subject: "a-b-c-10" });
  });

  it("the route 404 is not-found/route on a route every version has", () => {
    expect(classifyResponse(404, json(404, NOT_FOUND.route))).toEqual({
      kind: "not-found",
      variant: "route",
      status: 404,
      errorCode: 404,
      message: "HTTP 404 Not Found",
    });
  });

  it("the route 404 is unsupported on a route added later, naming the version", () => {
    const failure = classifyResponse(404, json(404, NOT_FOUND.route), { since: "3.5", feature: "PUT /stop" });
    expect(failure).toMatchObject({
      kind: "unsupported",
      since: "3.5",
      variant: "route",
      message: NOT_FOUND.route,
    });
    expect(failure.detail).toBe("PUT /stop needs Kafka Connect 3.5 or later; this worker is older");
  });

  it("an HTML 404 (pre-1.1 workers) is a route 404 too", () => {
    const failure = classifyResponse(404, "<html><body><h2>HTTP ERROR 404</h2></body></html>", {
      since: "2.5",
    });
    expect(failure).toMatchObject({ kind: "unsupported", since: "2.5" });
  });

  it("405 on a route whose method was added later is unsupported; otherwise bad-request", () => {
    const body = json(405, "HTTP 405 Method Not Allowed");
    expect(classifyResponse(405, body, { since: "3.8" })).toMatchObject({
      kind: "unsupported",
      since: "3.8",
    });
    expect(classifyResponse(405, body)).toMatchObject({ kind: "bad-request", status: 405 });
  });

  it("loggers: unknown logger is not-found, invalid level (a 404) is bad-request", () => {
    expect(classifyResponse(404, json(404, NOT_FOUND.logger))).toMatchObject({
      kind: "not-found",
      variant: "logger-not-found",
      subject: "org.apache.kafka.connect.nope",
    });
    expect(classifyResponse(404, json(404, NOT_FOUND.invalidLevel))).toMatchObject({
      kind: "bad-request",
      variant: "invalid-log-level",
      subject: "LOUD",
      status: 404,
    });
  });

  it("an unrecognised 404 message is plain not-found", () => {
    expect(classifyResponse(404, json(404, "Something else"))).toEqual({
      kind: "not-found",
      status: 404,
      errorCode: 404,
      message: "Something else",
    });
  });

  it.each(REBALANCING)("409 %s → rebalancing", (message) => {
    expect(classifyResponse(409, json(409, message))).toEqual({
      kind: "rebalancing",
      status: 409,
      errorCode: 409,
      message,
    });
  });

  it("409 already exists → already-exists; any other 409 → conflict", () => {
    expect(classifyResponse(409, json(409, ALREADY_EXISTS))).toMatchObject({
      kind: "already-exists",
      connector: CONNECTOR,
    });
    expect(classifyResponse(409, json(409, "Something else conflicts"))).toMatchObject({ kind: "conflict" });
  });

  it("400 invalid config → invalid-config with the error list, without the validate hint", () => {
    expect(classifyResponse(400, json(400, INVALID_CONFIG))).toEqual({
      kind: "invalid-config",
      status: 400,
      errorCode: 400,
      message: INVALID_CONFIG,
      configErrors: INVALID_CONFIG_ERRORS.map((message) => ({ message })),
    });
    expect(parseInvalidConfigMessage(INVALID_CONFIG_PRE_2_5)).toEqual([
      { message: INVALID_CONFIG_ERRORS[0] },
    ]);
    expect(parseInvalidConfigMessage("Some other message")).toBeNull();
  });

  it("400 no connector type: the echoed config map (with its secret) is redacted", () => {
    const failure = classifyResponse(400, json(400, NO_CONNECTOR_TYPE));
    expect(failure).toMatchObject({ kind: "bad-request", variant: "no-connector-type" });
    expect(failure.message).toBe("Connector config {…} contains no connector type");
    expect(JSON.stringify(failure)).not.toContain(CONFIG_SECRET);
  });

  it("400 variants: name mismatch, offsets need STOPPED, anything else", () => {
    expect(classifyResponse(400, json(400, NAME_MISMATCH))).toMatchObject({
      kind: "bad-request",
      variant: "name-mismatch",
      message: NAME_MISMATCH,
    });
    expect(classifyResponse(400, json(400, NOT_STOPPED))).toMatchObject({
      kind: "bad-request",
      variant: "connector-not-stopped",
      message: NOT_STOPPED,
    });
    const other = classifyResponse(400, json(400, "Desired 'level' parameter was not specified in request."));
    expect(other).toEqual({
      kind: "bad-request",
      status: 400,
      errorCode: 400,
      message: "Desired 'level' parameter was not specified in request.",
    });
  });

  it("401 plain text → unauthorized with the text verbatim; 403 → forbidden", () => {
    expect(classifyResponse(401, UNAUTHORIZED_TEXT)).toEqual({
      kind: "unauthorized",
      status: 401,
      message: UNAUTHORIZED_TEXT,
    });
    expect(classifyResponse(403, json(403, TOPIC_RESET_DISABLED))).toMatchObject({
      kind: "forbidden",
      message: TOPIC_RESET_DISABLED,
    });
  });

  it("500: the worker's timeout is timeout, its other errors server-error, a non-JSON 500 unavailable", () => {
    expect(classifyResponse(500, json(500, REQUEST_TIMED_OUT))).toMatchObject({
      kind: "timeout",
      status: 500,
      message: REQUEST_TIMED_OUT,
    });
    expect(classifyResponse(500, json(500, UNKNOWN_CLASS))).toMatchObject({
      kind: "server-error",
      message: UNKNOWN_CLASS,
    });
    expect(classifyResponse(500, "<html>Internal Server Error</html>")).toMatchObject({
      kind: "unavailable",
    });
  });

  it("500 IO Error trying to forward REST request: unavailable, variant forward-failed (transient)", () => {
    const message =
      "IO Error trying to forward REST request: java.net.ConnectException: Connection refused (Connection refused)";
    expect(classifyResponse(500, json(500, message))).toEqual({
      kind: "unavailable",
      variant: "forward-failed",
      status: 500,
      errorCode: 500,
      message,
      detail: "the worker could not forward the request to the leader (likely gone); transient",
    });
  });

  it("proxy 5xx pages are unavailable; their text is collapsed and bounded", () => {
    const page = `<html>\n<head><title>502 Bad Gateway</title></head>\n<body>${"x".repeat(1000)}</body></html>`;
    const failure = classifyResponse(502, page);
    expect(failure.kind).toBe("unavailable");
    expect(failure.message.startsWith("<html> <head><title>502 Bad Gateway</title></head>")).toBe(true);
    expect(failure.message.length).toBeLessThanOrEqual(301);
    expect(classifyResponse(503, "")).toMatchObject({
      kind: "unavailable",
      message: "HTTP 503 with an empty body",
    });
  });

  it("other statuses: 4xx bad-request, 3xx malformed-response", () => {
    expect(classifyResponse(415, json(415, "HTTP 415 Unsupported Media Type"))).toMatchObject({
      kind: "bad-request",
    });
    expect(classifyResponse(302, "")).toMatchObject({
      kind: "malformed-response",
      detail: "unexpected HTTP status 302",
    });
  });
});

describe("classifyTransportError", () => {
  const withCode = (code: string, message = code) => Object.assign(new Error(message), { code });

  it("certificate verification failures are tls, whatever wraps them", () => {
    expect(classifyTransportError(withCode("UNABLE_TO_VERIFY_LEAF_SIGNATURE"))).toMatchObject({
      kind: "tls",
    });
    expect(classifyTransportError(withCode("ERR_TLS_CERT_ALTNAME_INVALID"))).toMatchObject({ kind: "tls" });
    const wrapped = new TypeError("fetch failed", { cause: withCode("SELF_SIGNED_CERT_IN_CHAIN") });
    expect(classifyTransportError(wrapped)).toMatchObject({ kind: "tls", code: "SELF_SIGNED_CERT_IN_CHAIN" });
  });

  it("connect failures were certainly not sent; resets and cuts may have been", () => {
    expect(classifyTransportError(withCode("ECONNREFUSED"))).toMatchObject({
      kind: "unavailable",
      notSent: true,
    });
    expect(classifyTransportError(withCode("ENOTFOUND"))).toMatchObject({ notSent: true });
    const eyeballs = Object.assign(new AggregateError([withCode("ECONNREFUSED"), withCode("ECONNREFUSED")]), {
      code: "ECONNREFUSED",
    });
    expect(classifyTransportError(eyeballs)).toMatchObject({ kind: "unavailable", notSent: true });
    expect(classifyTransportError(withCode("ECONNRESET"))).toMatchObject({
      kind: "unavailable",
      notSent: false,
    });
    expect(classifyTransportError(withCode("UND_ERR_SOCKET"))).toMatchObject({ notSent: false });
    expect(classifyTransportError(new Error("no code"))).toMatchObject({
      kind: "unavailable",
      notSent: false,
    });
  });
});

describe("nextRetry: 200 ms × 2^n within attempts and deadline", () => {
  const policy = { attempts: 6, baseDelayMs: 200, deadlineMs: 30_000 };

  it("doubles from the base until the attempt limit", () => {
    const delays: number[] = [];
    for (let tries = 1; ; tries++) {
      const decision = nextRetry(policy, tries, 0);
      if (!decision.retry) {
        expect(decision.reason).toBe("attempts");
        expect(tries).toBe(6);
        break;
      }
      delays.push(decision.delayMs);
    }
    expect(delays).toEqual([200, 400, 800, 1600, 3200]);
  });

  it("stops when the next sleep would end past the deadline, not after", () => {
    const tight = { ...policy, deadlineMs: 1000 };
    expect(nextRetry(tight, 2, 600)).toEqual({ retry: true, delayMs: 400 });
    const stop = nextRetry(tight, 3, 600);
    expect(stop).toMatchObject({ retry: false, reason: "deadline" });
    expect(!stop.retry && stop.detail).toContain("retry deadline of 1000 ms");
  });
});

describe("KafkaConnectError", () => {
  it("has only the fields given, and describes itself on one line", () => {
    const error = new KafkaConnectError({
      kind: "not-found",
      message: "Connector x not found",
      endpoint: "http://kc:8083",
      method: "GET",
      path: "/connectors/x",
      status: 404,
      attempts: 1,
    });
    expect(Object.keys(error).sort()).toEqual([
      "attempts",
      "endpoint",
      "kind",
      "method",
      "name",
      "path",
      "status",
    ]);
    expect(error.describe()).toBe(
      "not-found: GET /connectors/x on http://kc:8083 → 404: Connector x not found",
    );
    expect(error).toBeInstanceOf(Error);
  });
});
