import meta from "virtual:charm-meta";
import { runCharm } from "../../../../../lib/juju/index.js";
import { probeClientCharm } from "./charm.js";

await runCharm(probeClientCharm, meta);
