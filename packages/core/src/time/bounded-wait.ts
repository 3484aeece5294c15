import { type LongTimeout, setLongTimeout } from "./long-timeout.js";

/**
 * A one-shot wait that ends at the first of {@link BoundedWait.release} and its bound: `done` then
 * resolves (it never rejects). Made by {@link boundedWait}.
 */
export interface BoundedWait {
  /** Resolves once the wait has ended, released or at its bound. Never rejects. */
  readonly done: Promise<void>;
  /** Whether the wait has not ended yet. */
  readonly pending: boolean;
  /** Ends the wait now, if it has not ended. Idempotent; clears the bound's timer. */
  release(): void;
}

/**
 * Starts a wait that ends when released or `boundMs` milliseconds after this call, whichever
 * comes first. At the bound, `onBound` runs, and then `done` resolves; a release first means
 * `onBound` never runs. Adapters hold their calls on it until a subscription (a LISTEN, a
 * SUBSCRIBE, a change stream) has its first answer, so that a change committed after such a call
 * is heard, while a server that never answers holds no call past the bound. Once ended, it leaves
 * no timer behind; a wait past 2^31 - 1 ms is slept in steps (`setLongTimeout`).
 *
 * @param boundMs - the longest wait, in ms (`Infinity`: none).
 * @param onBound - called once if the bound ends the wait.
 */
export function boundedWait(boundMs: number, onBound?: () => void): BoundedWait {
  let pending = true;
  let settle: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    settle = resolve;
  });
  const end = (): void => {
    pending = false;
    timer.clear();
    settle();
  };
  const timer: LongTimeout = setLongTimeout(() => {
    if (!pending) return;
    pending = false;
    onBound?.();
    end();
  }, boundMs);
  return {
    done,
    get pending() {
      return pending;
    },
    release() {
      if (pending) end();
    },
  };
}
