/**
 * msw does not see undici's own requests (msw issue #2165), so this undici Dispatcher hands each request to
 * msw's `getResponse(handlers, request)` and plays the Response back through undici's handler callbacks.
 * Tests keep msw's handler API (`http.get(...)`, `HttpResponse.json(...)`); `HttpResponse.error()` becomes
 * a connection reset. Every request is recorded as sent (raw path, headers, body) for assertions.
 */

import { getResponse, type RequestHandler } from "msw";
import { Dispatcher } from "undici";

export interface SentRequest {
  readonly method: string;
  readonly origin: string;
  /** Exactly as undici would put it on the wire. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | undefined;
}

/** The callbacks undici's `request()` passes to `dispatch` (the classic handler interface). */
interface LegacyHandler {
  onConnect?(abort: (reason?: unknown) => void, context?: unknown): void;
  onHeaders?(status: number, headers: Buffer[], resume: () => void, statusText: string): boolean | undefined;
  onData?(chunk: Buffer): boolean | undefined;
  onComplete?(trailers: Buffer[] | null): void;
  onError?(error: Error): void;
}

export class MswDispatcher extends Dispatcher {
  readonly sent: SentRequest[] = [];
  #handlers: RequestHandler[];

  constructor(...handlers: RequestHandler[]) {
    super();
    this.#handlers = handlers;
  }

  /** Prepends handlers, which then win over the ones given at construction (like `server.use`). */
  use(...handlers: RequestHandler[]): void {
    this.#handlers = [...handlers, ...this.#handlers];
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    void this.#respond(options, handler as LegacyHandler);
    return true;
  }

  override close(): Promise<void> {
    return Promise.resolve();
  }

  override destroy(): Promise<void> {
    return Promise.resolve();
  }

  async #respond(options: Dispatcher.DispatchOptions, handler: LegacyHandler): Promise<void> {
    let aborted = false;
    handler.onConnect?.((reason) => {
      if (aborted) return;
      aborted = true;
      handler.onError?.(reason instanceof Error ? reason : new Error(String(reason ?? "aborted")));
    });
    if (aborted) return;
    try {
      const headers = headerRecord(options.headers);
      const body = bodyText(options.body);
      this.sent.push({
        method: options.method,
        origin: String(options.origin),
        path: options.path,
        headers,
        body,
      });
      const request = new Request(new URL(options.path, options.origin), {
        method: options.method,
        headers,
        ...(body === undefined ? {} : { body }),
      });
      const response = await getResponse(this.#handlers, request);
      if (aborted) return;
      if (!response) throw new Error(`no msw handler for ${options.method} ${options.path}`);
      if (response.type === "error") throw Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
      const raw: Buffer[] = [];
      for (const [key, value] of response.headers) raw.push(Buffer.from(key), Buffer.from(value));
      const payload = Buffer.from(await response.arrayBuffer());
      if (aborted) return;
      handler.onHeaders?.(response.status, raw, () => {}, response.statusText);
      if (payload.length > 0) handler.onData?.(payload);
      handler.onComplete?.([]);
    } catch (error) {
      if (!aborted) handler.onError?.(error instanceof Error ? error : new Error(String(error)));
    }
  }
}

function headerRecord(headers: Dispatcher.DispatchOptions["headers"]): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2)
      out[String(headers[i]).toLowerCase()] = String(headers[i + 1]);
    return out;
  }
  for (const [key, value] of Object.entries(headers as Record<string, unknown>)) {
    if (value !== undefined) out[key.toLowerCase()] = String(value);
  }
  return out;
}

function bodyText(body: Dispatcher.DispatchOptions["body"]): string | undefined {
  if (body === null || body === undefined) return undefined;
  if (typeof body === "string") return body;
  if (body instanceof Uint8Array) return Buffer.from(body).toString("utf8");
  throw new Error("the msw dispatcher only carries string and buffer bodies");
}
