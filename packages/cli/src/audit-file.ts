import { type FileHandle, open } from "node:fs/promises";
import { CliError, ExitCode } from "./exit-codes.js";
import type { Messages } from "./messages.js";
import { terminalSafe } from "./output.js";

/**
 * The audit log of `sched serve` in a file: each write action @sched/http records (`{ at, who,
 * action, target, ok, error? }`, `at` an ISO date) appended as one JSON line, in the order they
 * were recorded, with the characters a terminal acts on escaped (see `terminalSafe`). The file is opened for appending (created with mode 0600 when missing) before
 * the server listens, so a path that cannot be written stops `sched serve` at once; a write that
 * fails later fails no request (the action is done by then) and is reported on standard error.
 */
export class AuditFile {
  private pending: Promise<void> = Promise.resolve();
  private warned = false;

  private constructor(
    private readonly handle: FileHandle,
    private readonly messages: Messages,
    private readonly path: string,
  ) {}

  /**
   * Opens `path` for appending.
   *
   * @throws CliError (failure, code `AUDIT_LOG_UNWRITABLE`) naming `from` (the flag or variable
   *   that gave the path) when the file cannot be opened, with the system's reason.
   */
  static async open(path: string, from: string, messages: Messages): Promise<AuditFile> {
    try {
      return new AuditFile(await open(path, "a", 0o600), messages, path);
    } catch (err) {
      const reason = (err as { code?: unknown } | null)?.code ?? (err as Error).message;
      throw new CliError(
        ExitCode.failure,
        "AUDIT_LOG_UNWRITABLE",
        `${from}: cannot open "${path}" to append the audit log (${String(reason)})`,
        { cause: err },
      );
    }
  }

  /** Appends `entry` as one JSON line, after every entry appended before it. */
  append(entry: unknown): void {
    // Terminal-safe, as everything `sched` prints: an operator reads the file with cat or tail -f,
    // and a target comes from the request (JSON leaves C1 and bidi characters raw).
    const line = `${terminalSafe(JSON.stringify(entry))}\n`;
    this.pending = this.pending
      .then(() => this.handle.appendFile(line, "utf8"))
      .catch((err: unknown) => {
        if (this.warned) return;
        this.warned = true;
        const reason = (err as { code?: unknown } | null)?.code ?? (err as Error).message;
        this.messages.warning(
          `could not append to the audit log "${this.path}" (${String(reason)}); later failures are not reported`,
        );
      });
  }

  /** Waits for every appended entry to be written, then closes the file. */
  async close(): Promise<void> {
    await this.pending;
    await this.handle.close();
  }
}
