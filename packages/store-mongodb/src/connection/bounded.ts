import { answerWithin, settlesWithin } from "@sched/core/adapter";
import type { MongoConnection } from "./open.js";

/** Re-exported from `@sched/core/adapter`, where the bounded waits of every adapter live. */
export { answerWithin };

/** The longest {@link closeConnection} waits for a graceful close before it forces one (ms). */
export const CLOSE_STEP_MS = 1_000;

/**
 * Closes the client of `connection` when this side owns it (a client passed in stays open), within
 * about 2 s whatever the deployment does: a graceful `close()` (it ends sessions on the server),
 * and, when that does not settle within {@link CLOSE_STEP_MS} (a server that hangs), a forced one
 * that drops the sockets. Never rejects.
 */
export async function closeConnection(connection: Pick<MongoConnection, "client" | "owned">): Promise<void> {
  if (!connection.owned) return;
  const graceful = connection.client.close().catch(() => undefined);
  if (await settlesWithin(graceful, CLOSE_STEP_MS)) return;
  await settlesWithin(
    connection.client.close(true).catch(() => undefined),
    CLOSE_STEP_MS,
  );
}
