// Entry point `kafka-connect-charm-kit/connect-client`: the relation itself, cheap to load in every hook. The
// plugin fetcher (HTTP, tar) is `kafka-connect-charm-kit/plugin-fetcher` (plugins.ts); reading YAML and
// relation-info documents is the CLI's (wire/input.ts).
export * from "./provider.js";
export * from "./requirer.js";
export * from "./secret-groups.js";
export * from "./wire/index.js";
