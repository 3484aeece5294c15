import { randomBytes } from "node:crypto";
import { waitFor } from "@sched/testing";
import { Redis } from "ioredis";
import type { RedisStore } from "../src/index.js";

/**
 * Watches a test's own Redis server with MONITOR, so that a test reads which commands a store's
 * connection sent during a call. Commands run by a script show as coming from "lua" and are not
 * counted: they are part of the one command that ran the script.
 */
export class CommandMonitor {
  private monitor: Redis | null = null;
  private readonly received: Array<{ source: string; args: string[] }> = [];

  constructor(private readonly url: string) {}

  /** Starts watching. */
  async start(): Promise<void> {
    this.monitor = await new Redis(this.url).monitor();
    this.monitor.on("monitor", (_time: string, args: string[], source: string) => {
      this.received.push({ source, args });
    });
  }

  /** Stops watching. */
  stop(): void {
    this.monitor?.disconnect();
    this.monitor = null;
  }

  /**
   * The names of the commands (lower case, in order) the store's connection sent to the server
   * while `action` ran.
   */
  async commandsOf(store: RedisStore, action: () => Promise<unknown>): Promise<string[]> {
    const client = store.redis as Redis;
    const address = /\baddr=(\S+)/.exec(String(await client.client("INFO")))?.[1] as string;
    const from = await this.mark(client, address);
    await action();
    const to = await this.mark(client, address);
    return this.received
      .slice(from + 1, to)
      .filter((entry) => entry.source === address)
      .map((entry) => (entry.args[0] as string).toLowerCase());
  }

  /** Sends a marker on `client` and waits until the monitor has seen it; returns its position. */
  private mark(client: Redis, address: string): Promise<number> {
    const marker = `marker-${randomBytes(6).toString("hex")}`;
    return client.echo(marker).then(() =>
      waitFor(
        () => {
          const at = this.received.findIndex(
            (entry) =>
              entry.source === address && entry.args[0]?.toLowerCase() === "echo" && entry.args[1] === marker,
          );
          return at >= 0 ? at : null;
        },
        { description: `the monitor to see ${marker}` },
      ),
    );
  }
}
