import { Cluster, type Redis } from "ioredis";

/** How long one blocking pop waits before it is issued again (seconds); guards half-open sockets. */
const BLOCK_SECONDS = 5;
/** Backoff after an error of the blocking connection, doubling up to the maximum (ms). */
const MIN_BACKOFF = 50;
const MAX_BACKOFF = 5_000;

/**
 * Pops wake-up markers (queue names) from the prefix's wake list with `BLPOP` on one dedicated
 * connection (a duplicate of the store's client) and calls every listener with the queue. It runs
 * while at least one listener is subscribed; `stop()` disconnects the connection, which ends the
 * pending pop at once. After an error (the connection was killed, the server restarted) it backs
 * off and pops again; ioredis reconnects on its own.
 */
export class WakeListener {
  private readonly listeners = new Set<(queue: string) => void>();
  private connection: Redis | Cluster | null = null;
  private loop: Promise<void> | null = null;
  private generation = 0;

  constructor(
    private readonly client: Redis | Cluster,
    private readonly key: string,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Adds a listener and starts popping when it is the first. Returns its unsubscribe function. */
  add(listener: (queue: string) => void): () => void {
    const wrapped = (queue: string): void => listener(queue);
    this.listeners.add(wrapped);
    if (this.listeners.size === 1) this.start();
    return () => {
      if (!this.listeners.delete(wrapped)) return;
      if (this.listeners.size === 0) void this.stop();
    };
  }

  /** The connection used for blocking pops, while running (for tests and diagnostics). */
  get blockingConnection(): Redis | Cluster | null {
    return this.connection;
  }

  /** Stops popping and closes the dedicated connection; resolves when the loop has ended. */
  async stop(): Promise<void> {
    this.listeners.clear();
    this.generation++;
    const connection = this.connection;
    this.connection = null;
    connection?.disconnect();
    await this.loop;
  }

  private start(): void {
    const generation = ++this.generation;
    const connection: Redis | Cluster =
      this.client instanceof Cluster ? this.client.duplicate() : this.client.duplicate();
    // Errors surface through the pops below; an 'error' listener keeps ioredis from logging them.
    connection.on("error", () => {});
    this.connection = connection;
    this.loop = this.run(connection, generation);
  }

  private async run(connection: Redis | Cluster, generation: number): Promise<void> {
    let backoff = MIN_BACKOFF;
    while (generation === this.generation) {
      try {
        const popped = await connection.blpop(this.key, BLOCK_SECONDS);
        backoff = MIN_BACKOFF;
        if (popped === null || generation !== this.generation) continue;
        this.notify(popped[1]);
      } catch (err) {
        if (generation !== this.generation) return;
        this.onError(err);
        await new Promise((resolve) => setTimeout(resolve, backoff).unref());
        backoff = Math.min(backoff * 2, MAX_BACKOFF);
      }
    }
  }

  private notify(queue: string): void {
    for (const listener of this.listeners) {
      try {
        listener(queue);
      } catch {
        // A listener's failure is its own.
      }
    }
  }
}
