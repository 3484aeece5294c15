import { InvalidArgumentError } from "../errors.js";
import { dateMs } from "../validation/dates.js";
import { describeValue } from "../validation/text.js";

/**
 * The delay of the job of `schedule`'s tick at `tickMs`, in ms: an offset in `[0, jitterMs)`
 * derived from the schedule's name and the tick's time only (FNV-1a over both), so every instance,
 * and the next leader, computes the same one, and a test can predict it. `0` when `jitterMs` is 0.
 * `tick` is the tick's time as a `Date` or epoch ms; `jitterMs` is in ms.
 *
 * @throws InvalidArgumentError (`INVALID_ARGUMENT`) for a tick that is not a valid time or a
 *   jitter that is not a number of ms of at least 0.
 * @example
 * tickJitter("nightly", Date.parse("2030-01-01T03:00:00Z"), 30_000); // the same number every time, < 30000
 */
export function tickJitter(schedule: string, tick: number | Date, jitterMs: number): number {
  const tickMs = typeof tick === "number" ? tick : dateMs(tick);
  if (typeof tickMs !== "number" || !Number.isFinite(tickMs))
    throw new InvalidArgumentError("tick", `expected a Date or epoch ms, got ${describeValue(tick)}`);
  if (typeof jitterMs !== "number" || Number.isNaN(jitterMs) || jitterMs < 0)
    throw new InvalidArgumentError(
      "jitterMs",
      `expected a number of ms of at least 0, got ${describeValue(jitterMs)}`,
    );
  if (!(jitterMs > 0)) return 0;
  const text = `${schedule}\u0000${tickMs}`;
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  // Spread the bits once more: FNV's low bits vary little between close tick times.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x7feb352d) >>> 0;
  hash ^= hash >>> 15;
  return Math.floor(((hash >>> 0) / 4_294_967_296) * Math.floor(jitterMs));
}
