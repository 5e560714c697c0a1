import meta from "virtual:charm-meta";
import { runCharm } from "../../../juju/index.js";
import { CONTROL_ENV, kafkaConnectCharm } from "./charm.js";

// The machine tells the charm where its worker's control endpoint is (deployKafkaConnect sets it per unit).
await runCharm(kafkaConnectCharm({ controlUrl: () => process.env[CONTROL_ENV] }), meta);
