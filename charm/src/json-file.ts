import type * as z from "zod/mini";
import { readBoundedFile } from "../common/files.js";

/**
 * The hooks' JSON inputs (state files, peer databag values) are read one way: bounded, parsed, validated,
 * and anything missing, oversized, malformed or invalid reads as undefined, never as a crash.
 */

export function parseJson<T>(text: string | undefined, schema: z.ZodMiniType<T>): T | undefined {
  if (text === undefined) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export async function readJsonFile<T>(
  path: string,
  schema: z.ZodMiniType<T>,
  maxBytes?: number,
): Promise<T | undefined> {
  return parseJson(await readBoundedFile(path, maxBytes).catch(() => undefined), schema);
}
