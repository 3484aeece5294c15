/**
 * Leadership among instances sharing a store: a lease with a TTL. Only the leader turns
 * schedules into jobs. Every rule here is checked by `leaderConformance` in `@sched/testing`.
 */
export interface Leader {
  /** The term of the current or last leadership held by this instance; each new leadership has a higher term. `0` before the first. */
  readonly term: number;
  /** The id of this instance. */
  readonly instanceId: string;
  /**
   * Whether this instance holds an unexpired lease, judged locally: it turns false before the
   * lease could expire on the backend when renewals stop succeeding.
   */
  isLeader(): boolean;
  /**
   * Acquires the lease, or renews it when this instance holds it. Returns whether this instance
   * leads afterwards. A failure to reach the backend resolves `false` (and steps down) rather than
   * rejecting.
   */
  acquire(): Promise<boolean>;
  /** Gives up the lease if held, so another instance can take over at once; does nothing otherwise. */
  release(): Promise<void>;
  /**
   * Calls `listener` whenever this instance gains or loses leadership. A loss by expiry may be
   * reported only at the next `isLeader()` or `acquire()`: decide with `isLeader()`, not with the
   * last callback. A listener that throws does not affect leadership. Returns an unsubscribe function.
   */
  onLeaderChange(listener: (isLeader: boolean, term: number) => void): () => void;
  /** Releases connections and timers the leader opened. Idempotent. */
  close?(): Promise<void>;
}
