export { type FakeTools, type InstallOptions, installFakeTools } from "./install.js";
export { measureToolCallCost, type ToolCallCost } from "./measure.js";
export {
  createRequestDecoder,
  createResponseDecoder,
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  FrameDecoder,
  MAX_FRAME_BODY,
  REQUEST_MAGIC,
  RESPONSE_MAGIC,
  type RequestFrame,
  type ResponseFrame,
  type ResponseInput,
} from "./protocol.js";
export { startToolServer, type ToolHandler, type ToolRequest, type ToolServer } from "./server.js";
export { JUJU_HOOK_TOOLS } from "./tool-names.js";
