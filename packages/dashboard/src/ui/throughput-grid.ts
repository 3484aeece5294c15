import type { ThroughputPoint } from "./wire.js";

const MINUTE_MS = 60_000;

/** The minutes the chart shows: the last hour, ending with the current minute. */
export const MINUTES = 60;

/**
 * The last hour before `now` (epoch ms) as the chart's data: one x per minute (epoch seconds, the 60
 * minutes ending with the current one), and the completed and failed jobs of each (0 for a minute
 * without a point). A fixed grid, so that the time axis spans the hour however few minutes had
 * jobs (uPlot stretches the range of a single point over years).
 */
export function lastHourData(
  points: readonly ThroughputPoint[],
  now: number,
): [minutes: number[], completed: number[], failed: number[]] {
  const end = Math.floor(now / MINUTE_MS) * MINUTE_MS;
  const start = end - (MINUTES - 1) * MINUTE_MS;
  const minutes: number[] = [];
  const completed: number[] = new Array(MINUTES).fill(0);
  const failed: number[] = new Array(MINUTES).fill(0);
  for (let i = 0; i < MINUTES; i++) minutes.push((start + i * MINUTE_MS) / 1000);
  for (const point of points) {
    const i = Math.floor((new Date(point.minute).getTime() - start) / MINUTE_MS);
    if (!(i >= 0 && i < MINUTES)) continue;
    completed[i] = (completed[i] as number) + point.completed;
    failed[i] = (failed[i] as number) + point.failed;
  }
  return [minutes, completed, failed];
}
