import type { StoreEvent } from "@sched/core/adapter";
import { type BoundedWait, boundedWait, settlesWithin } from "@sched/core/adapter";
import type { Cluster, Redis } from "ioredis";
import { DISCONNECT_TIMEOUT_MS, isCluster } from "./connection/index.js";
import { OwnEvents } from "./own-events.js";

/** Backoff between attempts to subscribe, doubling up to the maximum (ms). */
const MIN_BACKOFF = 50;
const MAX_BACKOFF = 5_000;
/** The longest `stop()` waits for the connection to end before leaving it to close on its own (ms). */
const STOP_WAIT_MS = 2_000;
/** The longest a call waits for the first SUBSCRIBE of a new connection (ms). */
const FIRST_ATTEMPT_WAIT_MS = 2_000;

/**
 * Decodes a message of the store's channel (published by the scripts, see
 * `scripts/includes/events.lua`): `j<queue>`, `j<queue>\n<token>` or `c<queue>\n<attempt>\n<id>`.
 * Anything else (the `p` of a ping, a message of another version) is `null`. A queue name never
 * holds a line break (core validates names); the id comes last, so it may hold anything.
 */
export function decodeStoreEvent(message: string): StoreEvent | null {
  if (message.startsWith("j")) {
    const queueEnd = message.indexOf("\n");
    return { type: "jobs", queue: queueEnd < 0 ? message.slice(1) : message.slice(1, queueEnd) };
  }
  if (message.startsWith("c")) {
    const queueEnd = message.indexOf("\n");
    const attemptEnd = queueEnd < 0 ? -1 : message.indexOf("\n", queueEnd + 1);
    if (attemptEnd < 0) return null;
    const attempt = Number(message.slice(queueEnd + 1, attemptEnd));
    if (!Number.isInteger(attempt)) return null;
    return {
      type: "cancelled",
      queue: message.slice(1, queueEnd),
      id: message.slice(attemptEnd + 1),
      attempt,
    };
  }
  return null;
}

/** The token of a jobs message `j<queue>\n<token>` (the store call that published it), or `null`. */
export function jobsEventToken(message: string): string | null {
  const queueEnd = message.indexOf("\n");
  return message.startsWith("j") && queueEnd >= 0 ? message.slice(queueEnd + 1) : null;
}

/**
 * Receives the store's events on one dedicated connection (a duplicate of the store's client)
 * subscribed to the prefix's channel, and calls every listener with each. Every instance's
 * subscribers hear every event: pub/sub delivers each message to every subscribed connection
 * (on a Cluster, a classic PUBLISH reaches the subscribers of every node).
 *
 * It runs while at least one listener is subscribed. A first SUBSCRIBE that fails (the server is
 * down) is tried again with backoff; after that ioredis reconnects and subscribes again on its
 * own. Events published while the connection is down are lost: once it has subscribed again, the
 * listeners get `{ type: "connected" }` (never after the first SUBSCRIBE), so that they look for
 * work at once instead of waiting for their next poll.
 *
 * The jobs events of this store's own enqueues go through {@link OwnEvents}: each is delivered
 * once, at the call's reply, and its echo on the connection is dropped.
 */
export class EventSubscriber {
  /** The events of this store's own enqueues (see {@link OwnEvents}). */
  readonly own = new OwnEvents((event) => this.dispatch(event));
  private readonly listeners = new Set<(event: StoreEvent) => void>();
  private connection: Redis | Cluster | null = null;
  private subscribed: Promise<void> | null = null;
  /**
   * The wait for the connection's first SUBSCRIBE: released when it has been answered (either
   * way), ended by its bound ({@link FIRST_ATTEMPT_WAIT_MS}) otherwise.
   */
  private firstAttempt: BoundedWait | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private wakeRetry: (() => void) | null = null;
  private generation = 0;
  /** Connections being closed (by a last unsubscribe or `stop()`), until they have ended. */
  private readonly ending = new Set<Promise<void>>();
  /** Whether the current connection has subscribed once (after that, a new SUBSCRIBE is a comeback). */
  private subscribedOnce = false;
  /** Whether the current connection was lost since it last subscribed. */
  private lost = false;

  constructor(
    private readonly client: Redis | Cluster,
    private readonly channel: string,
    /** The store's `commandTimeout` (ms, 0: none), for the connection this subscriber opens. */
    private readonly commandTimeoutMs: number,
    /** Sees every event before the listeners (the store notes the queues it hears of). */
    private readonly onEvent: (event: StoreEvent) => void,
  ) {}

  /** Adds a listener and subscribes when it is the first. Returns its unsubscribe function. */
  add(listener: (event: StoreEvent) => void): () => void {
    // Wrapped so that the same function subscribed twice is called twice and unsubscribes separately.
    const wrapped = (event: StoreEvent): void => listener(event);
    this.listeners.add(wrapped);
    if (this.listeners.size === 1) this.start();
    return () => {
      if (!this.listeners.delete(wrapped)) return;
      if (this.listeners.size === 0) void this.disconnect();
    };
  }

  /** Whether any listener is subscribed. */
  get listening(): boolean {
    return this.listeners.size > 0;
  }

  /**
   * While the connection's first SUBSCRIBE is unanswered: a promise that settles when it is (at
   * most {@link FIRST_ATTEMPT_WAIT_MS} after it was sent); afterwards `null`. The store waits for it before
   * its calls, so that a listener hears the events of every change the store makes after
   * `subscribe()` returned (a message published before the SUBSCRIBE is lost).
   */
  untilSubscribed(): Promise<void> | null {
    const first = this.firstAttempt;
    return first?.pending ? first.done : null;
  }

  /**
   * Unsubscribes every listener and closes the connection; resolves when it, and any connection
   * a last unsubscribe closed before, has ended (each wait bounded).
   */
  async stop(): Promise<void> {
    this.listeners.clear();
    await this.disconnect();
    while (this.ending.size > 0) await Promise.all([...this.ending]);
  }

  /** Closes the current connection, if any; its end is tracked in {@link ending}. */
  private disconnect(): Promise<void> {
    this.generation++;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.wakeRetry?.();
    const connection = this.connection;
    const subscribed = this.subscribed;
    this.connection = null;
    this.subscribed = null;
    this.firstAttempt?.release();
    this.firstAttempt = null;
    this.subscribedOnce = false;
    this.lost = false;
    if (connection === null) return Promise.resolve();
    const ended = new Promise<void>((resolve) => connection.once("end", () => resolve()));
    connection.disconnect();
    const ending = settlesWithin(Promise.all([ended, subscribed]), STOP_WAIT_MS).then(() => {
      this.ending.delete(ending);
    });
    this.ending.add(ending);
    return ending;
  }

  private start(): void {
    const generation = ++this.generation;
    const connection = duplicateForEvents(this.client, this.commandTimeoutMs);
    // Failures surface as a retried subscribe; a listener keeps ioredis from printing them.
    connection.on("error", () => {});
    connection.on("message", (channel: string, message: string) => {
      if (channel !== this.channel || generation !== this.generation) return;
      const event = decodeStoreEvent(message);
      if (event === null) return;
      const token = event.type === "jobs" ? jobsEventToken(message) : null;
      // The echo of this store's own enqueue: its reply delivers it (see OwnEvents).
      if (token !== null && !this.own.heard(token)) return;
      this.dispatch(event);
    });
    this.connection = connection;
    this.subscribed = this.subscribe(connection, generation).then(() => {
      if (generation !== this.generation) return;
      this.subscribedOnce = true;
      this.watchComebacks(connection, generation);
    });
  }

  /**
   * Announces `connected` each time the connection is back after it was lost. ioredis subscribes
   * a reconnected connection again by itself; a SUBSCRIBE sent after its own (on the same
   * connection, so answered after it) says when that is done. A Redis connection reconnects
   * itself ('close', then 'ready'). A Cluster client subscribes through one node's connection,
   * which it replaces by a connection to another node when it ends, and is 'ready' again after a
   * reconnection of the whole client.
   */
  private watchComebacks(connection: Redis | Cluster, generation: number): void {
    const comeBack = (): void => {
      if (generation !== this.generation || !this.lost) return;
      connection.subscribe(this.channel).then(
        () => {
          if (generation !== this.generation || !this.lost) return;
          this.lost = false;
          this.dispatch({ type: "connected" });
        },
        // Not back after all: the next reconnection tries again.
        () => {},
      );
    };
    const lose = (): void => {
      if (generation === this.generation && this.subscribedOnce) this.lost = true;
    };
    connection.on("close", lose);
    connection.on("ready", comeBack);
    if (isCluster(connection)) watchClusterSubscriber(connection, lose, comeBack);
  }

  private async subscribe(connection: Redis | Cluster, generation: number): Promise<void> {
    let backoff = MIN_BACKOFF;
    let attempt: Promise<unknown> = connection.subscribe(this.channel);
    const first = boundedWait(FIRST_ATTEMPT_WAIT_MS);
    this.firstAttempt = first;
    void attempt.then(first.release, first.release);
    while (generation === this.generation) {
      try {
        await attempt;
        return;
      } catch {
        if (generation !== this.generation) return;
        await new Promise<void>((resolve) => {
          this.wakeRetry = resolve;
          this.retryTimer = setTimeout(resolve, backoff);
        });
        this.retryTimer = null;
        this.wakeRetry = null;
        backoff = Math.min(backoff * 2, MAX_BACKOFF);
        if (generation === this.generation) attempt = connection.subscribe(this.channel);
      }
    }
  }

  private dispatch(event: StoreEvent): void {
    try {
      this.onEvent(event);
    } catch {
      // The store's own bookkeeping must never keep an event from the listeners.
    }
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A listener's failure is its own.
      }
    }
  }
}

/**
 * A connection like `client` for the subscriber (which owns it): SUBSCRIBE answered within
 * `commandTimeoutMs` (0: no bound), and a socket destroyed soon after a disconnect, so that
 * `stop()` ends it even while the server hangs.
 */
function duplicateForEvents(client: Redis | Cluster, commandTimeoutMs: number): Redis | Cluster {
  const bounds = {
    disconnectTimeout: DISCONNECT_TIMEOUT_MS,
    ...(commandTimeoutMs > 0 ? { commandTimeout: commandTimeoutMs } : {}),
  };
  if (isCluster(client)) {
    return client.duplicate([], { redisOptions: { ...client.options.redisOptions, ...bounds } });
  }
  return client.duplicate(bounds);
}

/** The part of an ioredis Cluster client that holds its pub/sub connection (not a public API). */
interface ClusterSubscriberInternals {
  getInstance(): Redis | null;
}

/**
 * Follows the pub/sub connection of a Cluster client: calls `lose` when it ends, and `comeBack`
 * when the connection the client opens in its place is ready. ioredis exposes no event for this,
 * so it reads the client's subscriber (`cluster.subscriber.getInstance()`); should a later ioredis
 * not have it, nothing is followed and polling covers the events lost.
 */
function watchClusterSubscriber(cluster: Cluster, lose: () => void, comeBack: () => void): void {
  const internals = (cluster as unknown as { subscriber?: Partial<ClusterSubscriberInternals> }).subscriber;
  if (typeof internals?.getInstance !== "function") return;
  const subscriber = internals as ClusterSubscriberInternals;
  const followed = new WeakSet<Redis>();
  const follow = (instance: Redis | null): void => {
    if (instance === null || followed.has(instance)) return;
    followed.add(instance);
    // The client's own 'end' listener, added first, has put the next connection in place.
    instance.once("end", () => {
      lose();
      const next = subscriber.getInstance();
      if (next === null || next === instance) return;
      next.once("ready", comeBack);
      follow(next);
    });
  };
  follow(subscriber.getInstance());
  // After a reconnection of the whole client, it has a new subscriber connection to follow.
  cluster.on("ready", () => follow(subscriber.getInstance()));
}
