import { assertKnownOptions, ConfigError, type Duration, StoreError } from "@sched/core/adapter";
import type { Cluster, Redis } from "ioredis";
import { durationOption } from "./connection/index.js";

/**
 * The `waitForReplicas` option of the store: after each write a caller is told succeeded
 * (`createJobs`, `createDedupedJob`, `updateQueue`, `saveSchedule`, `deleteSchedule`, `cancelJob`,
 * `requeueJob`), wait until
 * `replicas` replicas have it, for at most `timeout` (Redis's `WAIT`).
 */
export interface WaitForReplicas {
  /** How many replicas must have the write: an integer >= 1. */
  replicas: number;
  /** The longest to wait for them: a duration > 0, below `commandTimeout`. */
  timeout: Duration;
}

/** {@link WaitForReplicas}, checked: the timeout in whole ms. */
export interface ReplicaWait {
  readonly replicas: number;
  readonly timeoutMs: number;
}

/**
 * Checks the `waitForReplicas` option.
 *
 * @param commandTimeoutMs - the store's `commandTimeout` (ms, 0: none): the wait must end before it.
 * @param client - the client given, if any: `WAIT` answers for one node, so a Cluster is refused.
 * @throws ConfigError (`CONFIG_INVALID`) with field `waitForReplicas` (not an object, an unknown
 *   name, or with a Cluster client), `waitForReplicas.replicas` (not an integer >= 1) or
 *   `waitForReplicas.timeout` (not a duration > 0, or not below `commandTimeout`).
 */
export function checkWaitForReplicas(
  value: WaitForReplicas | undefined,
  commandTimeoutMs: number,
  client: Redis | Cluster | undefined,
): ReplicaWait | null {
  if (value === undefined) return null;
  assertKnownOptions(value, ["replicas", "timeout"], "waitForReplicas");
  if ((client as { isCluster?: unknown } | undefined)?.isCluster === true) {
    throw new ConfigError(
      "waitForReplicas",
      "is not supported on a Cluster client: WAIT answers for one node, not for the node a write went to",
    );
  }
  const { replicas } = value;
  if (!(Number.isInteger(replicas) && replicas >= 1)) {
    throw new ConfigError("waitForReplicas.replicas", "expected an integer >= 1");
  }
  if (value.timeout === undefined) {
    throw new ConfigError(
      "waitForReplicas.timeout",
      'is required, e.g. "100ms" (WAIT without a bound would block)',
    );
  }
  const timeoutMs = Math.ceil(durationOption(value.timeout, 0, "waitForReplicas.timeout"));
  if (timeoutMs <= 0) throw new ConfigError("waitForReplicas.timeout", "expected a duration > 0");
  if (commandTimeoutMs > 0 && timeoutMs >= commandTimeoutMs) {
    throw new ConfigError(
      "waitForReplicas.timeout",
      `must be below commandTimeout (${commandTimeoutMs}ms), which bounds the write and the wait together`,
    );
  }
  return { replicas, timeoutMs };
}

/**
 * Waits until `wait.replicas` replicas have every write this connection made so far (`WAIT
 * <replicas> <timeout>`, sent on the connection that made the write, after it).
 *
 * @param operation - the write, for the message.
 * @param address - the server's description, for the message.
 * @throws StoreError (`STORE_ERROR`) when fewer replicas acknowledged it within the timeout: the
 *   write is on the primary and stays there, but a failover now may lose it.
 */
export async function awaitReplicas(
  client: Redis,
  wait: ReplicaWait,
  operation: string,
  address: () => string,
): Promise<void> {
  const acknowledged = Number(await client.wait(wait.replicas, wait.timeoutMs));
  if (acknowledged >= wait.replicas) return;
  throw new StoreError(
    `Redis ${operation} at ${address()} was written on the primary, but only ${acknowledged} of the ` +
      `${wait.replicas} replica(s) asked for by waitForReplicas acknowledged it within ${wait.timeoutMs}ms: ` +
      "a failover now could lose it. It stays on the primary; a retry may repeat it (a uniqueKey refuses the retry while the first job is active; a throttle dedupe window returns the first job for its whole ttl, also after it ended)",
  );
}
