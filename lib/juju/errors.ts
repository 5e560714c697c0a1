/**
 * One error model for the runtime. Hook tools report failures as `ERROR <message>` on stderr with exit 1
 * (run time) or 2 (bad flags); we map them to types a charm can catch. Rules that the runtime enforces
 * before Juju would (leader-only writes, …) throw the same types, so callers handle one family.
 */
export class JujuError extends Error {
  override name = "JujuError";
}

/** The hook environment is missing or malformed (a variable Juju always sets is absent). */
export class ContextError extends JujuError {
  override name = "ContextError";
}

/** A hook tool failed. `message` is Juju's own text, without the `ERROR ` prefix. */
export class HookToolError extends JujuError {
  override name = "HookToolError";
  constructor(
    readonly tool: string,
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** The thing named does not exist or is not visible to this unit (Juju: "... not found"). */
export class NotFoundError extends HookToolError {
  override name = "NotFoundError";
}

/** Juju refused access (a non-leader reading its own app bag, a secret not granted, …). */
export class PermissionDeniedError extends HookToolError {
  override name = "PermissionDeniedError";
}

/** The operation needs leadership and this unit is not the leader. */
export class NotLeaderError extends HookToolError {
  override name = "NotLeaderError";
}

/** The relation id is unknown to this unit (it never existed or is already gone). */
export class RelationNotFoundError extends NotFoundError {
  override name = "RelationNotFoundError";
}

/** The tool rejected its flags or arguments (exit 2): a bug in the caller, never bad user input. */
export class ToolUsageError extends HookToolError {
  override name = "ToolUsageError";
}

/** Maps a failed tool run to the most precise error type, keeping Juju's message intact. */
export function toolError(tool: string, stderr: string, exitCode: number): HookToolError {
  const message = lastErrorLine(stderr) || `${tool} exited with code ${exitCode}`;
  const lower = message.toLowerCase();
  // Juju reports an unknown -r as a flag error (exit 2), but a relation that went away between hooks is a
  // run-time fact, not a bug: it is matched first, as ops does.
  if (/relation\b.*\bnot found/.test(lower)) return new RelationNotFoundError(tool, message, exitCode);
  if (exitCode === 2) return new ToolUsageError(tool, message, exitCode);
  // Juju words a non-leader app-bag write as "cannot write relation settings": a leadership failure.
  if (lower.includes("not the leader") || lower.includes("cannot write relation settings"))
    return new NotLeaderError(tool, message, exitCode);
  if (lower.includes("not found") || lower.includes("no network config found"))
    return new NotFoundError(tool, message, exitCode);
  if (lower.includes("permission denied")) return new PermissionDeniedError(tool, message, exitCode);
  return new HookToolError(tool, message, exitCode);
}

function lastErrorLine(stderr: string): string {
  const lines = stderr.split("\n").filter((l) => l.trim() !== "");
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    if (line.startsWith("ERROR ")) return line.slice("ERROR ".length).trim();
  }
  return lines.join(" ").trim();
}
