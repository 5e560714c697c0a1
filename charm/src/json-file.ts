import { readBoundedFile } from "../common/files.js";
import type { Validator } from "../common/json-check.js";

/**
 * The hooks' JSON inputs (state files, peer databag values) are read one way: bounded, parsed, validated,
 * and anything missing, oversized, malformed or invalid reads as undefined, never as a crash. Validated with
 * the validators generated from the zod schemas (charm/common/generated), so a hook loads no zod.
 */

export function parseJson<T>(text: string | undefined, isValid: Validator<T>): T | undefined {
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return isValid(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

export async function readJsonFile<T>(
  path: string,
  isValid: Validator<T>,
  maxBytes?: number,
): Promise<T | undefined> {
  return parseJson(await readBoundedFile(path, maxBytes).catch(() => undefined), isValid);
}
