/** connect_client v0 on the wire: keys, models, decoding and encoding, the published schemas. */

export {
  type Decoded,
  type DecodeOptions,
  decodeProviderBag,
  decodeRequirerBag,
  encodeProviderBag,
  encodeRequirerBag,
  formatProblems,
  type Problem,
  type ProviderData,
  type ProviderStatus,
  type RequirerData,
} from "./decode.js";
export {
  type ConnectClientJsonSchema,
  connectClientJsonSchema,
  SCHEMA_FILES,
  schemaFileText,
} from "./json-schema.js";
export {
  type ConnectClientRole,
  DATA_KEY,
  DEFAULT_REQUESTED_SECRETS,
  ENDPOINTS_PATTERN,
  NOT_REQUIRED,
  PLUGIN_URL_PATTERN,
  PROVIDED_SECRETS_PATTERN,
  PROVIDER_KEYS,
  REQUESTED_SECRETS_PATTERN,
  REQUIRED_SECRETS,
  REQUIRER_KEYS,
  SECRET_KEY_PATTERN,
  SECRET_URI_PATTERN,
  STATUS_PATTERN,
  TLS_FLAG_PATTERN,
  TLS_FLAG_VALUES,
} from "./keys.js";
export {
  ProviderAppBag,
  ProviderAppBagPartial,
  type ProviderAppWire,
  RequirerAppBag,
  RequirerAppBagPartial,
  type RequirerAppWire,
} from "./models.js";
export { looksLikeNotRequired, splitEndpoints } from "./rules.js";
