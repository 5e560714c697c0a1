/**
 * The provider's plugin side, entry point `kafka-connect-charm-kit/plugin-fetcher`: fetchPlugin (download,
 * verify, extract) and PluginInstaller on top of it. It has an entry of its own because it needs an HTTP client
 * (undici) and a tar reader: a charm that only uses the Requirer (or the Provider's relation side) from
 * `kafka-connect-charm-kit/connect-client` bundles neither.
 */
export * from "./plugin-fetcher/index.js";
export * from "./plugin-installs.js";
