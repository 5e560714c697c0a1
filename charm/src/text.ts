/** The hooks' one-line helper is the one the workload uses too (charm/common/text.ts says why it exists). */
export { MAX_LOG_CHARS, oneLine } from "../common/text.js";
