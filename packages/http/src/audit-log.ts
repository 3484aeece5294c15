/** One write action, as the audit log records it. */
export interface AuditEntry {
  /** When the action was requested (the scheduler's clock). */
  at: Date;
  /** The name of the token that asked for it. */
  who: string;
  /** What was asked, such as `queue.pause`, `job.retry`, `jobs.delete`. */
  action: string;
  /**
   * What it applied to: a queue or schedule name, a job id, or a bulk action's body as it was
   * sent, written as JSON (`{"status":"dead"}`, or `null` or `[1]`, which are refused), else
   * `(no body)`, `(body refused)` (not JSON this API reads: `error` says why) or `(body not read)`
   * (the token may not write). Cut to 200 characters; control characters, line and paragraph
   * separators and bidirectional controls are written as `\uXXXX`, so an entry is one line.
   */
  target: string;
  /** Whether it was done. */
  ok: boolean;
  /** When not done: the error code (such as `FORBIDDEN`, `JOB_NOT_FOUND`). */
  error?: string;
}

/** How many entries the in-memory audit log keeps (the oldest go first). */
export const AUDIT_CAPACITY = 1000;

/**
 * The recent write actions, in a ring of bounded size, each also handed to the user's sink. A
 * sink that throws or rejects loses nothing here and fails no request: the action is done by then.
 */
export class AuditLog {
  private readonly entries: (AuditEntry | undefined)[];
  private next = 0;
  private size = 0;

  constructor(
    private readonly sink: ((entry: AuditEntry) => unknown) | undefined,
    capacity = AUDIT_CAPACITY,
  ) {
    this.entries = new Array(capacity);
  }

  /** Keeps `entry` and hands a copy to the sink. */
  record(entry: AuditEntry): void {
    this.entries[this.next] = entry;
    this.next = (this.next + 1) % this.entries.length;
    this.size = Math.min(this.size + 1, this.entries.length);
    if (this.sink === undefined) return;
    try {
      const result = this.sink({ ...entry, at: new Date(entry.at) });
      if (result instanceof Promise) result.catch(() => {});
    } catch {
      // The sink is the user's; its failure must not undo or fail the action.
    }
  }

  /** The `limit` most recent entries, newest first. */
  recent(limit: number): AuditEntry[] {
    const out: AuditEntry[] = [];
    for (let i = 1; i <= Math.min(limit, this.size); i++) {
      const index = (this.next - i + this.entries.length) % this.entries.length;
      out.push(this.entries[index]!);
    }
    return out;
  }
}
