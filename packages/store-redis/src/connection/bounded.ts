import { answerWithin, settlesWithin } from "@sched/core/adapter";
import type { Cluster, Redis } from "ioredis";
// For TSDoc links only.
import type { DISCONNECT_TIMEOUT_MS, openConnection } from "./open.js";

/** Re-exported from `@sched/core/adapter`, where the bounded waits of every adapter live. */
export { answerWithin };

/** The longest {@link closeClient} waits for the answer to `QUIT`, then for the socket to end (each, ms). */
export const CLOSE_STEP_MS = 1_000;

/**
 * Ends a client made by {@link openConnection}, within about 1.5 s whatever the server does. A
 * client that is not connected (never used, or reconnecting to a server that is gone) has nothing
 * to flush and is disconnected. A connected one is sent `QUIT`, which lets the server answer what
 * is in flight; a `QUIT` not answered within {@link CLOSE_STEP_MS} (the server hangs) is followed
 * by a disconnect, whose socket ioredis destroys {@link DISCONNECT_TIMEOUT_MS} later. Resolves
 * once the socket is gone (or after another {@link CLOSE_STEP_MS}); never rejects, and leaves no
 * timer behind once the socket has closed.
 */
export async function closeClient(client: Redis | Cluster): Promise<void> {
  if (client.status !== "ready") {
    client.disconnect();
    return;
  }
  // Every wait is bounded: after a server restart, a killed connection or while the server hangs,
  // a reply or an 'end' event may never come.
  const ended = new Promise<void>((resolve) => client.once("end", () => resolve()));
  const quit = client.quit().catch(() => undefined);
  await settlesWithin(quit, CLOSE_STEP_MS);
  // Also after a clean QUIT, which ends the connection to the server but not what the client's
  // connector holds besides (through Sentinels, the connections that listen for +switch-master);
  // after a QUIT left unanswered, it ends the socket. At once, while the socket is still open:
  // ioredis arms a timer of DISCONNECT_TIMEOUT_MS at each disconnect, which only the socket's
  // 'close' clears, so a disconnect once it has closed would hold the process that long.
  if ((client.status as string) !== "end" || viaSentinels(client)) client.disconnect();
  await settlesWithin(ended, CLOSE_STEP_MS);
}

/** Whether `client` finds its server through Sentinels (its connector holds their connections). */
function viaSentinels(client: Redis | Cluster): boolean {
  const sentinels = (client.options as { sentinels?: unknown }).sentinels;
  return Array.isArray(sentinels) && sentinels.length > 0;
}
