import { randomBytes } from "node:crypto";
import type { StoreEvent } from "@sched/core/adapter";
import type pg from "pg";
import { NotificationListener } from "./notification-listener.js";
import { cancelPayload, eventOfPayload } from "./notifications.js";

type Listener = (event: StoreEvent) => void;

/**
 * How many echoes of this store's own cancels are waited for, and how many cancels heard first
 * through LISTEN are remembered, at most (the oldest are forgotten).
 */
const MAX_EXPECTED_ECHOES = 1_000;

/**
 * How long a LISTEN connection may take to hear the probe the store sends it once it listens
 * (ms): longer, and it listens where the store's notifications do not arrive.
 */
export const PROBE_WAIT_MS = 5_000;

/**
 * The payload of a probe: `probe<TAB><token>`. A release before probes reads it as a queue name
 * and wakes its claims once, to find nothing.
 */
const PROBE_PREFIX = "probe\t";

/** What the store does for the LISTEN connection's health (see {@link WakeUps}). */
export interface ListenHealth {
  /** The connection failed or was lost; `failures` in a row so far. */
  failed(error: unknown, failures: number): void;
  /** It listens again after `failures` failed attempts. */
  back(failures: number): void;
  /** Sends `payload` on the channel through the store's pool (`pg_notify`). */
  sendProbe(payload: string): Promise<void>;
  /**
   * The probe sent when it began listening was not heard within {@link PROBE_WAIT_MS}: it listens
   * in a session that does not get the store's notifications (PgBouncer in transaction mode,
   * another database).
   */
  deaf(): void;
}

/**
 * The store's event listeners: called at once for the store's own changes, and through
 * LISTEN/NOTIFY for every other instance's. The LISTEN connection is opened with the first
 * listener and closed with the last.
 */
export class WakeUps {
  private readonly listeners = new Set<Listener>();
  private readonly notifications: NotificationListener | null;
  /**
   * The cancel notifications this store sent and has already delivered locally, by sender backend
   * and payload, with how many are still to come back through LISTEN.
   */
  private readonly expectedEchoes = new Map<string, number>();
  /**
   * The cancel notifications heard through LISTEN that no local delivery expected, by sender
   * backend and payload: the echo of this store's own cancel may come in before the statement's
   * answer does (they travel on two connections), and then it is the delivery.
   */
  private readonly heardCancels = new Map<string, number>();
  /** The probe's payload while it is awaited, else `null`. */
  private probe: string | null = null;
  private probeTimer: ReturnType<typeof setTimeout> | null = null;

  /**
   * `channel` is `null` when NOTIFY is off, and `createClient` when the store LISTENs nowhere
   * (behind a transaction pool without a direct connection): then only the store's own changes
   * are heard.
   */
  constructor(
    channel: string | null,
    createClient: (() => pg.Client) | null,
    /** Told of the LISTEN connection's failures, its return, and whether it hears the store. */
    private readonly health: ListenHealth | null = null,
  ) {
    let failuresInRow = 0;
    this.notifications =
      channel === null || createClient === null
        ? null
        : new NotificationListener({
            channel,
            createClient,
            onNotification: (payload, senderPid) => {
              if (payload.startsWith(PROBE_PREFIX)) {
                if (payload === this.probe) this.endProbe();
                return;
              }
              if (this.isOwnEcho(payload, senderPid)) return;
              const event = eventOfPayload(payload);
              if (event === null) return;
              if (event.type === "cancelled") count(this.heardCancels, echoKey(payload, senderPid), 1);
              this.deliver(event);
            },
            // Notifications sent while the connection was down are lost: say so, so that
            // listeners look for work at once instead of waiting for their next poll.
            onListening: (again) => {
              if (failuresInRow > 0) this.health?.back(failuresInRow);
              failuresInRow = 0;
              this.startProbe();
              if (again) this.deliver({ type: "connected" });
            },
            onFailure: (error, failures) => {
              failuresInRow = failures;
              this.endProbe();
              this.health?.failed(error, failures);
            },
          });
  }

  /**
   * While the LISTEN connection's first LISTEN is unanswered (neither in place nor failed, and
   * for at most 2 s): a promise that settles when it is; otherwise `null` (see
   * `NotificationListener.untilListening`).
   */
  untilListening(): Promise<void> | null {
    return this.notifications?.untilListening() ?? null;
  }

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: Listener): () => void {
    // Wrapped so that the same function subscribed twice is called twice and unsubscribes separately.
    const wrapped: Listener = (event) => listener(event);
    this.listeners.add(wrapped);
    this.notifications?.start();
    return () => {
      if (this.listeners.delete(wrapped) && this.listeners.size === 0) {
        this.endProbe();
        void this.notifications?.stop();
      }
    };
  }

  /** Calls every listener with `event`; a listener's failure is its own. */
  deliver(event: StoreEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // The change has happened; a listener that throws changes nothing.
      }
    }
  }

  /**
   * Delivers the cancel of a running job that this store made, whose notification the server
   * backend `senderPid` sent (when NOTIFY is on). Its echo through LISTEN is then dropped, so that
   * listeners hear each cancel once.
   */
  deliverOwnCancel(event: Extract<StoreEvent, { type: "cancelled" }>, senderPid: number | null): void {
    const payload = cancelPayload(event);
    // The statement sends none over NOTIFY's limit of 8000 bytes.
    if (senderPid !== null && this.notifications?.started && Buffer.byteLength(payload) < 8000) {
      const key = echoKey(payload, senderPid);
      // The echo came first and was delivered then.
      if (count(this.heardCancels, key, -1)) return;
      count(this.expectedEchoes, key, 1);
    }
    this.deliver(event);
  }

  /** Calls every listener once per distinct queue of `jobs` with a `jobs` event. */
  deliverQueuesOf(jobs: Iterable<{ readonly queue: string }>): void {
    if (this.listeners.size === 0) return;
    const queues = new Set<string>();
    for (const job of jobs) queues.add(job.queue);
    for (const queue of queues) this.deliver({ type: "jobs", queue });
  }

  /**
   * Sends a probe on the channel through the store's pool, and reports the connection deaf when
   * it has not heard it within {@link PROBE_WAIT_MS}. A probe that cannot be sent proves nothing:
   * nothing is reported.
   */
  private startProbe(): void {
    const health = this.health;
    if (health === null) return;
    this.endProbe();
    const payload = `${PROBE_PREFIX}${randomBytes(8).toString("hex")}`;
    this.probe = payload;
    const timer = setTimeout(() => {
      if (this.probeTimer !== timer) return;
      this.probeTimer = null;
      this.probe = null;
      health.deaf();
    }, PROBE_WAIT_MS);
    timer.unref();
    this.probeTimer = timer;
    health.sendProbe(payload).catch(() => {
      if (this.probe === payload) this.endProbe();
    });
  }

  /** Stops waiting for the probe. */
  private endProbe(): void {
    if (this.probeTimer !== null) clearTimeout(this.probeTimer);
    this.probeTimer = null;
    this.probe = null;
  }

  /** Drops every listener and closes the LISTEN connection. */
  async close(): Promise<void> {
    this.endProbe();
    this.listeners.clear();
    this.expectedEchoes.clear();
    this.heardCancels.clear();
    await this.notifications?.stop();
  }

  /** Whether a notification is the echo of a cancel this store delivered already (and forgets it). */
  private isOwnEcho(payload: string, senderPid: number): boolean {
    if (this.expectedEchoes.size === 0) return false;
    return count(this.expectedEchoes, echoKey(payload, senderPid), -1);
  }
}

/**
 * Adds `by` (1 or -1) to the count of `key` in `counts`, which keeps at most
 * {@link MAX_EXPECTED_ECHOES} keys (the oldest are forgotten: an echo that never came, as LISTEN
 * was reconnecting, or a cancel of another instance). Returns whether a count of -1 found one.
 */
function count(counts: Map<string, number>, key: string, by: 1 | -1): boolean {
  const current = counts.get(key) ?? 0;
  if (by === -1) {
    if (current === 0) return false;
    if (current > 1) counts.set(key, current - 1);
    else counts.delete(key);
    return true;
  }
  if (counts.size >= MAX_EXPECTED_ECHOES && current === 0) {
    counts.delete(counts.keys().next().value as string);
  }
  counts.set(key, current + 1);
  return true;
}

function echoKey(payload: string, senderPid: number): string {
  return `${senderPid}\t${payload}`;
}
