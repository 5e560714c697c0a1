import { parseBasicAuth } from "./auth.js";
import type { ConnectEngine } from "./engine.js";
import { errorBody, MSG, notJsonMessage, RestError } from "./errors.js";
import { FaultTable, Latency } from "./faults.js";
import type { RequestRecord } from "./record.js";
import type { Incoming, Reply } from "./rest.js";
import { handleRequest } from "./routes.js";
import type { WorkerRuntime } from "./worker.js";

/**
 * Every request a worker receives, on its way to the REST routes: recorded (the newest `recordLimit`), delayed
 * by the injected latency, answered by an injected fault if one matches, and forwarded between workers as
 * Kafka's RestClient does.
 */
export class Gateway {
  readonly requests: RequestRecord[] = [];
  readonly faults = new FaultTable();
  readonly latency = new Latency();

  constructor(
    private readonly engine: ConnectEngine,
    private readonly recordLimit: number,
  ) {}

  /** Keeps a record, dropping the oldest beyond the limit. */
  private keep(rec: RequestRecord): void {
    this.requests.push(rec);
    const excess = this.requests.length - this.recordLimit;
    if (excess > 0) this.requests.splice(0, excess);
  }

  /**
   * One request on worker i: latency, faults, then the REST API; recorded either way. Null: dropped (the
   * worker stopped or restarted, or the cluster closed, while the request waited out the latency).
   */
  serve(i: number, incoming: Incoming): Promise<Reply | null> {
    const w = this.engine.worker(i);
    const served = this.serveOn(w, incoming);
    w.inFlight.add(served);
    void served.finally(() => w.inFlight.delete(served));
    return served;
  }

  private async serveOn(w: WorkerRuntime, incoming: Incoming): Promise<Reply | null> {
    const generation = w.generation;
    const presented = parseBasicAuth(incoming.headers.authorization);
    const rec: RequestRecord = {
      worker: w.index,
      method: incoming.method,
      path: incoming.path,
      query: incoming.query,
      status: 0,
      time: Date.now(),
      ...(presented.user === undefined ? {} : { user: presented.user }),
      ...(incoming.forwardedFrom === undefined ? {} : { forwardedFrom: incoming.forwardedFrom }),
    };
    this.keep(rec);
    if (this.latency.ms > 0) {
      const waited = await this.latency.sleep(w.index);
      if (!waited || this.engine.closed || !w.running || w.generation !== generation) {
        rec.dropped = true;
        return null;
      }
    }
    let reply: Reply;
    try {
      let path = incoming.path;
      try {
        path = decodeURI(path);
      } catch {}
      const fault = this.faults.take(w.index, incoming.method, path);
      if (fault) {
        rec.fault = true;
        reply = { status: fault.status, body: errorBody(fault.status, fault.message) };
      } else {
        reply = await handleRequest(this.engine, w, incoming, (to, req) => this.dispatch(w.index, to, req));
      }
    } catch (e) {
      reply =
        e instanceof RestError
          ? { status: e.status, body: errorBody(e.status, e.message) }
          : { status: 500, body: errorBody(500, e instanceof Error ? e.message : String(e)) };
    }
    rec.status = reply.status;
    return reply;
  }

  /**
   * An internal hop (RestClient forwarding a request to another worker), recorded there as forwarded. A JSON
   * error is relayed as it came; RestClient reads every error body as an ErrorMessage, so one that is not JSON
   * (the basic-auth 401 of a leader that has not re-read new credentials) fails to parse and becomes a 500.
   */
  async dispatch(from: number, to: number, incoming: Incoming): Promise<Reply> {
    const target = this.engine.workers[to];
    if (!target?.running)
      throw new RestError(500, MSG.forwardIoError("java.net.ConnectException: Connection refused"));
    const reply = await this.serve(to, { ...incoming, forwardedFrom: from });
    // The leader stopped while the hop waited: the connection was cut under RestClient.
    if (reply === null) throw new RestError(500, MSG.forwardIoError("java.io.EOFException"));
    if (reply.status >= 400 && reply.text !== undefined)
      throw new RestError(500, MSG.forwardIoError(notJsonMessage(reply.text)));
    return reply;
  }
}
