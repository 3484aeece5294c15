import { type BoundedWait, boundedWait, type StoreEvent } from "@sched/core/adapter";
import type { ChangeStream, ChangeStreamDocument, Collection } from "mongodb";
import type { QueueDocument } from "./controls/control-documents.js";
import type { JobDocument } from "./documents.js";

/** The longest the store's calls wait for a new change stream's first answer (ms). */
export const FIRST_WATCH_WAIT_MS = 2_000;

/** The statuses a job becomes claimable in: a change into one of them is a `jobs` event. */
const AVAILABLE = new Set(["pending", "scheduled", "failed"]);

/**
 * The listeners of one store, and the change stream that feeds them from every instance when the
 * deployment has change streams. Without a stream, the store's own changes are told to its own
 * listeners ({@link WakeUps.local}); other instances find them by polling.
 */
export class WakeUps {
  private readonly listeners = new Set<(event: StoreEvent) => void>();
  private stream: ChangeStream<JobDocument> | undefined;
  private queueStream: ChangeStream<QueueDocument> | undefined;
  private streaming = false;
  /**
   * Until both streams of {@link watch} have their first answer from the server (their cursors
   * are open), have failed, or {@link FIRST_WATCH_WAIT_MS} has passed: the wait for that.
   */
  private opening: BoundedWait | null = null;

  /** Whether events come from the change stream (then {@link local} tells nobody). */
  get pushed(): boolean {
    return this.streaming;
  }

  /** Adds a listener; returns the function that removes it. */
  add(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** How many listeners there are. */
  get size(): number {
    return this.listeners.size;
  }

  /** Tells this store's listeners of its own change, when no change stream does it. */
  local(event: StoreEvent): void {
    if (!this.streaming) this.emit(event);
  }

  /**
   * Watches `jobs` for inserts and updates that make jobs available or cancel a running attempt,
   * and `queues` for `updateQueue` writes (a changed `wakeUp`) that leave a queue not paused.
   * `onError` hears a stream that failed (both are closed; polling covers the gap).
   */
  watch(
    jobs: Collection<JobDocument>,
    queues: Collection<QueueDocument>,
    onError: (err: unknown) => void,
  ): void {
    if (this.stream !== undefined) return;
    const stream = jobs.watch<JobDocument>(
      [{ $match: { operationType: { $in: ["insert", "update", "replace"] } } }],
      { fullDocument: "updateLookup" },
    );
    this.stream = stream;
    this.streaming = true;
    stream.on("change", (change: ChangeStreamDocument<JobDocument>) => this.onChange(change));
    // Only control writes that carry a new `wakeUp` (not the claim lock's, many per second).
    const queueStream = queues.watch<QueueDocument>(
      [
        {
          $match: {
            $or: [
              { operationType: "insert", "fullDocument.wakeUp": { $exists: true } },
              { operationType: "update", "updateDescription.updatedFields.wakeUp": { $exists: true } },
            ],
          },
        },
      ],
      { fullDocument: "updateLookup" },
    );
    this.queueStream = queueStream;
    queueStream.on("change", (change: ChangeStreamDocument<QueueDocument>) => {
      if (change.operationType !== "insert" && change.operationType !== "update") return;
      const document = change.fullDocument;
      if (document !== undefined && document !== null && document.paused !== true)
        this.emit({ type: "jobs", queue: document.name });
    });
    let failed = false;
    const fail = (err: unknown): void => {
      if (failed) return;
      failed = true;
      this.streaming = false;
      this.stream = undefined;
      this.queueStream = undefined;
      stream.close().catch(() => undefined);
      queueStream.close().catch(() => undefined);
      onError(err);
    };
    stream.on("error", fail);
    queueStream.on("error", fail);
    this.followOpening(stream, queueStream);
    this.emit({ type: "connected" });
  }

  /**
   * While the change streams just opened by {@link watch} have not had their first answer (at most
   * {@link FIRST_WATCH_WAIT_MS}): a promise that settles when they have (never rejects); otherwise
   * `null`. A change committed before a stream's cursor is open is not in the stream, so the store
   * waits for this before its calls: whatever another instance changes after such a call is heard.
   */
  untilWatching(): Promise<void> | null {
    const opening = this.opening;
    return opening?.pending ? opening.done : null;
  }

  /**
   * Follows the first answers of the two streams: {@link untilWatching} waits for them.
   * When the wait's bound ends first, the calls went on without the streams, and changes made
   * before the streams opened were missed: their opening is then announced as `connected`.
   */
  private followOpening(stream: ChangeStream<JobDocument>, queueStream: ChangeStream<QueueDocument>): void {
    let timedOut = false;
    let waiting = 2;
    const opening = boundedWait(FIRST_WATCH_WAIT_MS, () => {
      timedOut = true;
    });
    const end = opening.release;
    const opened = (): void => {
      waiting--;
      if (waiting > 0) return;
      if (timedOut && this.stream === stream) this.emit({ type: "connected" });
      end();
    };
    // The driver (6.x) does not pass its cursors' `init` on to the stream; the resume token it
    // takes from the first answer (postBatchResumeToken) is the first sign of an open cursor.
    stream.once("resumeTokenChanged", opened);
    queueStream.once("resumeTokenChanged", opened);
    // A stream that fails ends the wait: polling covers the gap until it is opened again.
    stream.once("error", end);
    queueStream.once("error", end);
    this.opening = opening;
  }

  /** Closes the change stream, if any. */
  async close(): Promise<void> {
    const stream = this.stream;
    const queueStream = this.queueStream;
    this.stream = undefined;
    this.queueStream = undefined;
    this.streaming = false;
    this.opening?.release();
    this.listeners.clear();
    if (stream !== undefined) await stream.close().catch(() => undefined);
    if (queueStream !== undefined) await queueStream.close().catch(() => undefined);
  }

  private onChange(change: ChangeStreamDocument<JobDocument>): void {
    if (
      change.operationType !== "insert" &&
      change.operationType !== "update" &&
      change.operationType !== "replace"
    ) {
      return;
    }
    const document = change.fullDocument;
    if (document === undefined || document === null) return;
    const updated =
      change.operationType === "update"
        ? (change.updateDescription.updatedFields as Partial<JobDocument>)
        : undefined;
    if (updated?.status === "cancelled" && typeof updated.cancelledAttempt === "number") {
      this.emit({
        type: "cancelled",
        id: document.id,
        queue: document.queue,
        attempt: updated.cancelledAttempt,
      });
      return;
    }
    const status = updated === undefined ? document.status : updated.status;
    if (typeof status === "string" && AVAILABLE.has(status))
      this.emit({ type: "jobs", queue: document.queue });
  }

  private emit(event: StoreEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        // A listener's failure is its own; the others still hear the event.
      }
    }
  }
}
