export interface MissingOptional {
  key: string;
  name: string;
  version: string;
  dev: boolean;
}
export function missingOptionals(lock: unknown): MissingOptional[];
export function platformOf(name: string): { os?: string[]; cpu?: string[]; libc?: string[] } | undefined;
