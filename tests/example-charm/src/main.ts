import meta from "virtual:charm-meta";
import { runCharm } from "../../../lib/juju/index.js";
import { charm } from "./charm.js";

await runCharm(charm, meta);
