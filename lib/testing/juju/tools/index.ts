import type { ToolImpl } from "../session.js";
import * as actions from "./actions.js";
import * as relations from "./relations.js";
import * as secrets from "./secrets.js";
import * as unit from "./unit.js";

/** Every hook tool the emulator answers, by the name Juju gives it. */
export const TOOLS: Readonly<Record<string, ToolImpl>> = {
  "relation-ids": relations.relationIds,
  "relation-list": relations.relationList,
  "relation-get": relations.relationGet,
  "relation-set": relations.relationSet,
  "is-leader": unit.isLeader,
  "config-get": unit.configGet,
  "status-set": unit.statusSet,
  "status-get": unit.statusGet,
  "juju-log": unit.jujuLog,
  "application-version-set": unit.applicationVersionSet,
  "open-port": unit.openPort,
  "close-port": unit.closePort,
  "opened-ports": unit.openedPorts,
  "network-get": unit.networkGet,
  "resource-get": unit.resourceGet,
  "state-get": unit.stateGet,
  "state-set": unit.stateSet,
  "state-delete": unit.stateDelete,
  "action-get": actions.actionGet,
  "action-set": actions.actionSet,
  "action-fail": actions.actionFail,
  "action-log": actions.actionLog,
  "secret-add": secrets.secretAdd,
  "secret-get": secrets.secretGet,
  "secret-set": secrets.secretSet,
  "secret-remove": secrets.secretRemove,
  "secret-grant": secrets.secretGrant,
  "secret-revoke": secrets.secretRevoke,
  "secret-ids": secrets.secretIds,
  "secret-info-get": secrets.secretInfoGet,
};
