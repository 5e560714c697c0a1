/**
 * ajv is CommonJS: where a class lands in a dynamically imported module depends on who loads it (Node gives
 * `default` plus named exports, a bundler's chunk may give only `default`). One place knows the three shapes.
 */
export function ajvClass<T>(mod: unknown, name: string): T {
  const m = mod as Record<string, unknown> & { default?: Record<string, unknown> };
  return (m[name] ?? m.default?.[name] ?? m.default) as T;
}
