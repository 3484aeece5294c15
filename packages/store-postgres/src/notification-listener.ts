import { type BoundedWait, boundedWait, settlesWithin } from "@sched/core/adapter";
import type pg from "pg";
import { CLOSE_GRACE_MS, destroySocket } from "./connection/pool.js";

/** The longest store calls wait for the first LISTEN after `start()` (ms). */
export const FIRST_LISTEN_WAIT_MS = 2_000;

/** Options of {@link NotificationListener}. */
export interface NotificationListenerOptions {
  /** The channel to LISTEN on (validated; quoted here). */
  channel: string;
  /** Makes a new, unconnected client: one dedicated connection, never a pooled one. */
  createClient: () => pg.Client;
  /**
   * Called with each notification's payload (see `notifications.ts`) and the process id of the
   * server backend that sent it.
   */
  onNotification: (payload: string, senderPid: number) => void;
  /**
   * Called each time LISTEN is in place, with `again` true when it follows a connection that was
   * lost or could not be opened since {@link NotificationListener.start} (notifications sent in
   * between were missed), false for the first connection.
   */
  onListening?: (again: boolean) => void;
  /**
   * Called each time the connection failed or was lost while listening was wanted, with the
   * error (when the driver gave one) and how many attempts in a row have failed (1 for the first).
   */
  onFailure?: (error: unknown, failures: number) => void;
  /** First reconnect delay in ms; doubles up to {@link maxBackoffMs}. Default 100. */
  minBackoffMs?: number;
  /**
   * Longest reconnect delay in ms. Default 1,000: a server that is back is listened to again within
   * about a second, and a refused connection costs nothing.
   */
  maxBackoffMs?: number;
}

/**
 * Holds one dedicated connection that LISTENs on a channel, and reconnects with exponential
 * backoff when it breaks (server restart, `pg_terminate_backend`, network loss). Errors never
 * escape: a broken connection is replaced (polling covers the gap) and reported to `onFailure`.
 */
export class NotificationListener {
  private client: pg.Client | null = null;
  private active = false;
  private failures = 0;
  /** Whether a connection was lost (or failed to open) since `start()`: the next LISTEN is a return. */
  private interrupted = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly closing = new Set<Promise<void>>();
  /**
   * The wait for the first connection's LISTEN since `start()`: released when it has been
   * answered or has failed, ended by its bound otherwise; `null` once released.
   */
  private firstAttempt: BoundedWait | null = null;

  constructor(private readonly options: NotificationListenerOptions) {}

  /** Whether the listener wants to be connected (between `start()` and `stop()`). */
  get started(): boolean {
    return this.active;
  }

  /** Opens the connection and starts listening (in the background). Idempotent. */
  start(): void {
    if (this.active) return;
    this.active = true;
    this.failures = 0;
    this.interrupted = false;
    // Bounded: a server that neither answers nor refuses holds no call for longer than this. The
    // calls go on without the LISTEN, so its later arrival is announced as a return (`again`).
    this.firstAttempt = boundedWait(FIRST_LISTEN_WAIT_MS, () => {
      this.interrupted = true;
    });
    this.connect();
  }

  /**
   * While the first LISTEN since {@link start} is neither answered nor failed, and for at most
   * {@link FIRST_LISTEN_WAIT_MS} after `start()`: a promise that settles when that is over (never
   * rejects); otherwise `null`. A NOTIFY committed before the LISTEN is answered never reaches
   * this connection, so the store waits for this before its calls (see `PostgresStore`):
   * whatever another instance commits after such a call is heard.
   */
  untilListening(): Promise<void> | null {
    const first = this.firstAttempt;
    return first?.pending ? first.done : null;
  }

  /** Ends the wait for the first LISTEN (see {@link untilListening}), when there is one. */
  private firstAttemptOver(): void {
    this.firstAttempt?.release();
    this.firstAttempt = null;
  }

  /** Closes the connection and cancels any reconnect. Resolves once the socket is closed. */
  async stop(): Promise<void> {
    this.active = false;
    this.firstAttemptOver();
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const client = this.client;
    this.client = null;
    if (client !== null) this.dispose(client);
    await Promise.all([...this.closing]);
  }

  private connect(): void {
    const client = this.options.createClient();
    this.client = client;
    // Every failure of this client, whenever it happens, comes through here exactly once.
    const lost = (err?: unknown): void => this.lost(client, err);
    client.on("error", lost);
    client.on("end", lost);
    client.on("notification", (message) => {
      if (message.channel === this.options.channel && message.payload) {
        this.options.onNotification(message.payload, message.processId);
      }
    });
    client
      .connect()
      .then(() => client.query(`LISTEN "${this.options.channel}"`))
      .then(() => {
        if (this.client !== client) return;
        this.failures = 0;
        const again = this.interrupted;
        this.interrupted = false;
        this.firstAttemptOver();
        this.options.onListening?.(again);
      }, lost);
  }

  /** Drops a broken (or replaced) client and, while active, schedules a reconnect. */
  private lost(client: pg.Client, err?: unknown): void {
    if (this.client !== client) return;
    // The first attempt failed: calls go on (polling covers the gap until a LISTEN is in place,
    // and the listeners then hear `again`).
    this.firstAttemptOver();
    this.client = null;
    this.dispose(client);
    if (!this.active) return;
    this.interrupted = true;
    const { minBackoffMs = 100, maxBackoffMs = 1_000 } = this.options;
    const delay = Math.min(maxBackoffMs, minBackoffMs * 2 ** Math.min(this.failures, 16));
    this.failures++;
    try {
      this.options.onFailure?.(err, this.failures);
    } catch {
      // A report that fails is its own: the reconnect goes on.
    }
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.active) this.connect();
    }, delay);
  }

  /**
   * Ends a client we no longer use; its later errors are swallowed by the listener left on it.
   * A socket that does not close within {@link CLOSE_GRACE_MS} (a server that hangs never
   * acknowledges the goodbye) is destroyed.
   */
  private dispose(client: pg.Client): void {
    client.removeAllListeners("notification");
    client.on("error", () => {});
    const closed = settlesWithin(client.end(), CLOSE_GRACE_MS)
      .then((ended) => {
        if (!ended) destroySocket(client);
      })
      .finally(() => this.closing.delete(closed));
    this.closing.add(closed);
  }
}
