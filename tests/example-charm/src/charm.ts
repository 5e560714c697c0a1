import { createHash } from "node:crypto";
import { type Charm, dispatch, type Hook, type Relation } from "../../../lib/juju/index.js";

/** Deterministic, so both test modes produce the same secret content. */
function tokenFor(hook: Hook, relation: Relation): string {
  return createHash("sha256").update(`${hook.context.modelUuid}/${relation.id}`).digest("hex").slice(0, 32);
}

const tokenLabel = (relation: Relation) => `client.${relation.number}.token`;

type Db = { endpoint: string; username: string; password: string };

async function readDb(hook: Hook, relation: Relation): Promise<Db | string> {
  const remote = await relation.remoteAppData();
  if (!remote.endpoint || !remote["secret-user"]) return "waiting for db endpoint and credentials";
  const creds = await hook.secrets.get(
    { uri: remote["secret-user"], label: `db.${relation.number}.user` },
    { refresh: true },
  );
  if (!creds.username || !creds.password)
    return `db secret ${remote["secret-user"]} lacks username or password`;
  return { endpoint: remote.endpoint, username: creds.username, password: creds.password };
}

export const charm: Charm = (hook) =>
  dispatch(hook, {
    async install(h) {
      await h.setUnitStatus("maintenance", "installing");
      await h.tools.applicationVersionSet("1.0.0");
    },
    async start(h) {
      const { port } = (await h.config()) as { port: number };
      await h.tools.openPort(`${port}/tcp`);
    },
    relations: {
      db: {
        async changed(h, relation) {
          const db = await readDb(h, relation);
          if (typeof db === "string") return;
          // Secret values are registered when read: this line reaches juju-log with them redacted.
          await h.log.info(`db credentials for ${db.username}: ${db.password}`);
          await relation.localUnit.set({ ready: "true" });
          if (await h.isLeader()) {
            const { database } = (await h.config()) as { database: string };
            await relation.localApp.set({ database });
          }
          await h.tools.stateSet({ "db-endpoint": db.endpoint });
        },
      },
      client: {
        async created(h, relation) {
          if (!(await h.isLeader())) return;
          const uri = await h.secrets.add({ token: tokenFor(h, relation) }, { label: tokenLabel(relation) });
          await h.secrets.grant(uri, relation.id);
          await relation.localApp.set({ "secret-token": uri });
        },
        async broken(h, relation) {
          if (!(await h.isLeader())) return;
          const info = await h.secrets.info({ label: tokenLabel(relation) }).catch(() => undefined);
          if (info) await h.secrets.remove(info.id);
        },
      },
      cluster: {
        async joined(_h, relation) {
          await relation.localUnit.set({ member: "yes" });
        },
      },
    },
    async secretChanged(h, event) {
      const content = await h.secrets.get({ uri: event.secretId }, { refresh: true });
      await h.log.info(`credentials rotated for ${content.username ?? "unknown"}`);
    },
    actions: {
      async greet(h, action) {
        const { name, shout } = await action.params<{ name: string; shout: boolean }>();
        const { greeting } = (await h.config()) as { greeting: string };
        if (name === "nobody") {
          await action.fail("there is nobody to greet");
          return;
        }
        const text = `${greeting}, ${name}`;
        await action.log(`greeting ${name}`);
        await action.set({ message: shout ? text.toUpperCase() : text, meta: { length: text.length } });
      },
    },
    /** Holistic status: from what the model looks like now, whatever the hook was. */
    async reconcile(h) {
      const [db] = await h.relations("db");
      if (!db) return h.setUnitStatus("blocked", "needs a db relation: juju integrate example-charm <db>");
      const state = await readDb(h, db);
      if (typeof state === "string") return h.setUnitStatus("waiting", state);
      const clients = await h.relations("client");
      await h.setUnitStatus("active", `serving ${clients.length} client(s) with ${state.endpoint}`);
      if (await h.isLeader()) await h.setAppStatus("active", "");
    },
  });
