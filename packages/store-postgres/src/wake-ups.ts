import type { StoreEvent } from "@sched/core";
import type pg from "pg";
import { NotificationListener } from "./notification-listener.js";
import { eventOfPayload } from "./notifications.js";

type Listener = (event: StoreEvent) => void;

/**
 * The store's event listeners: called at once for the store's own changes, and through
 * LISTEN/NOTIFY for every other instance's. The LISTEN connection is opened with the first
 * listener and closed with the last.
 */
export class WakeUps {
  private readonly listeners = new Set<Listener>();
  private readonly notifications: NotificationListener | null;

  /** `channel` is `null` when NOTIFY is off: then only the store's own changes are heard. */
  constructor(channel: string | null, createClient: () => pg.Client) {
    this.notifications =
      channel === null
        ? null
        : new NotificationListener({
            channel,
            createClient,
            onNotification: (payload) => {
              const event = eventOfPayload(payload);
              if (event !== null) this.deliver(event);
            },
          });
  }

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: Listener): () => void {
    // Wrapped so that the same function subscribed twice is called twice and unsubscribes separately.
    const wrapped: Listener = (event) => listener(event);
    this.listeners.add(wrapped);
    this.notifications?.start();
    return () => {
      if (this.listeners.delete(wrapped) && this.listeners.size === 0) void this.notifications?.stop();
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

  /** Calls every listener once per distinct queue of `jobs` with a `jobs` event. */
  deliverQueuesOf(jobs: Iterable<{ readonly queue: string }>): void {
    if (this.listeners.size === 0) return;
    const queues = new Set<string>();
    for (const job of jobs) queues.add(job.queue);
    for (const queue of queues) this.deliver({ type: "jobs", queue });
  }

  /** Drops every listener and closes the LISTEN connection. */
  async close(): Promise<void> {
    this.listeners.clear();
    await this.notifications?.stop();
  }
}
