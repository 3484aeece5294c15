import { messageLine, type Output } from "./output.js";

/**
 * Messages on standard error. For people each is a line `sched: <message>` (`sched: warning: …`);
 * with `--json` each is one JSON object on a line of its own, so that a script can parse every
 * line: `{"error":{"code","message"}}`, `{"warning":{"message"}}`, `{"info":{"message",…}}`.
 * Messages never hold connection strings or tokens, and each is one line (see messageLine).
 */
export class Messages {
  constructor(
    private readonly output: Output,
    /** Whether `--json` was given. */
    readonly json: boolean,
  ) {}

  /** An error the run ends with; `code` is a stable name such as `JOB_NOT_FOUND` or `USAGE`. */
  error(code: string, text: string): void {
    const message = messageLine(text);
    this.output.err(this.json ? JSON.stringify({ error: { code, message } }) : `sched: ${message}`);
  }

  /**
   * Something the user should know that does not stop the command. `label` is the word printed
   * for people (`sched: error: …` for an error the scheduler logged); JSON has `warning` either way,
   * so that the one `error` object is the one the run ends with.
   */
  warning(text: string, label: "warning" | "error" = "warning"): void {
    const message = messageLine(text);
    this.output.err(this.json ? JSON.stringify({ warning: { message } }) : `sched: ${label}: ${message}`);
  }

  /** Progress; `fields` are added to the JSON object (such as a server's `url`). */
  info(text: string, fields: Record<string, unknown> = {}): void {
    const message = messageLine(text);
    this.output.err(this.json ? JSON.stringify({ info: { message, ...fields } }) : `sched: ${message}`);
  }
}

/**
 * Whether `argv` asks for JSON: a `--json` before any `--`. Decided before parsing, so that a
 * parse error is reported in the form asked for.
 */
export function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  return (end === -1 ? argv : argv.slice(0, end)).includes("--json");
}
