import type { HookTools } from "../tools/index.js";
import type { LogLevel } from "../tools/log.js";
import type { Redactor } from "./redactor.js";

/** Logging through `juju-log`, with known secret values redacted before they reach argv or the log. */
export class Logger {
  constructor(
    private readonly tools: HookTools,
    private readonly redactor: Redactor,
  ) {}

  debug(message: string) {
    return this.log("DEBUG", message);
  }
  info(message: string) {
    return this.log("INFO", message);
  }
  warning(message: string) {
    return this.log("WARNING", message);
  }
  error(message: string) {
    return this.log("ERROR", message);
  }

  log(level: LogLevel, message: string): Promise<void> {
    return this.tools.jujuLog(level, this.redactor.redact(message));
  }
}
