/** Juju's naming rules (names.IsValidApplication / IsValidUnit), shared by the runtime and the emulator. */
export const APP_NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]*[a-z][a-z0-9]*)*$/;
export const UNIT_NAME = /^([a-z][a-z0-9]*(?:-[a-z0-9]*[a-z][a-z0-9]*)*)\/(\d+)$/;
