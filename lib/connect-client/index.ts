export * from "./plugin-fetcher/index.js";
export * from "./plugin-installs.js";
export * from "./provider.js";
export * from "./requirer.js";
export * from "./secret-groups.js";
export * from "./wire/index.js";
