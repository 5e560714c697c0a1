import { Agent, request } from "undici";
import { ConnectClientRequirer, needsIntervention } from "../../../../../lib/connect-client/index.js";
import type { Charm } from "../../../../../lib/juju/index.js";

/** Each probe's bound: the test wants an answer, not a hang, when an endpoint is down. */
const PROBE_TIMEOUT_MS = 5_000;

/** GET / with basic auth: the HTTP status, or the error's code when there was no answer. */
async function probe(endpoint: string, username: string, password: string, ca?: string): Promise<string> {
  const dispatcher = new Agent(ca ? { connect: { ca } } : {});
  try {
    const res = await request(new URL("/", endpoint), {
      headers: { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}` },
      dispatcher,
      headersTimeout: PROBE_TIMEOUT_MS,
      bodyTimeout: PROBE_TIMEOUT_MS,
    });
    await res.body.dump({ limit: 64 * 1024 });
    return String(res.statusCode);
  } catch (err) {
    return (err as { code?: string }).code ?? "error";
  } finally {
    await dispatcher.close();
  }
}

/**
 * Publishes its plugin-url; once the provider has published, probes every endpoint with the user it got and
 * reports `GET / <status> ...` per endpoint (never the password).
 */
export const probeClientCharm: Charm = async (hook) => {
  const config = (await hook.config()) as { "plugin-url": string };
  const requirer = new ConnectClientRequirer(hook, { pluginUrl: config["plugin-url"] });
  const published = await requirer.publish();
  if (!published.ok) return hook.setUnitStatus("blocked", published.message);
  await requirer.events();
  const state = await requirer.connection();
  if (!state.ready) return hook.setUnitStatus(needsIntervention(state) ? "blocked" : "waiting", state.reason);
  const { endpoints, username, password, tlsCa } = state.connection;
  const answers = await Promise.all(endpoints.map((e) => probe(e, username, password, tlsCa)));
  const ok = answers.every((a) => a === "200");
  await hook.setUnitStatus(
    ok ? "active" : "waiting",
    `${username}: GET / ${answers.join(",")} on ${endpoints.length} endpoint(s)`,
  );
};
