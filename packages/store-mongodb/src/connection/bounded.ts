import { settlesWithin } from "@sched/core/adapter";
import type { MongoConnection } from "./open.js";

/**
 * Settles like `promise` if it settles within `ms`; otherwise rejects with `timedOut()` at `ms`
 * and leaves `promise` to settle unobserved. `ms` of 0 waits without a bound. Leaves no timer behind.
 */
export function answerWithin<T>(promise: Promise<T>, ms: number, timedOut: () => Error): Promise<T> {
  if (ms <= 0) return promise;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      // The call goes on without a caller: its outcome must not surface as an unhandled rejection.
      promise.catch(() => {});
      reject(timedOut());
    }, ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

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
