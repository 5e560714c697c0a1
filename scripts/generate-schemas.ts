/**
 * Writes the published connect_client v0 JSON Schemas (schemas/connect_client/v0/{provider,requirer}.json)
 * from the zod models. Run with `npm run schemas` after changing lib/connect-client/wire; a test fails
 * while the committed files differ from what this generates.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  connectClientJsonSchema,
  SCHEMA_FILES,
  schemaFileText,
} from "../lib/connect-client/wire/json-schema.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const written: string[] = [];
for (const role of ["provider", "requirer"] as const) {
  const path = resolve(root, SCHEMA_FILES[role]);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, schemaFileText(connectClientJsonSchema(role)));
  written.push(path);
}
// Biome owns the layout of every JSON file in the repository: let it wrap short arrays as `npm run lint` expects.
execFileSync(resolve(root, "node_modules/.bin/biome"), ["format", "--write", ...written], {
  stdio: "inherit",
});
for (const path of written) console.log(`wrote ${path}`);
