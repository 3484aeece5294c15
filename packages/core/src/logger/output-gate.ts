import type { Logger } from "./logger.js";

/**
 * Lets a scheduler's log lines and hook calls through while it runs, and drops them once it has
 * stopped: a store call abandoned at `stop()`'s deadline may still settle later, and nothing of a
 * stopped scheduler may be heard then.
 */
export class OutputGate {
  private isOpen = true;

  /** Whether output goes through. */
  get opened(): boolean {
    return this.isOpen;
  }

  /** Lets output through (on start). */
  open(): void {
    this.isOpen = true;
  }

  /** Drops output from now on (when stopped). */
  close(): void {
    this.isOpen = false;
  }

  /** `logger`, silenced while the gate is closed. */
  logger(logger: Logger): Logger {
    const pass =
      (level: keyof Logger) =>
      (message: string, fields?: Record<string, unknown>): void => {
        if (this.isOpen) logger[level](message, fields);
      };
    return { debug: pass("debug"), info: pass("info"), warn: pass("warn"), error: pass("error") };
  }
}
