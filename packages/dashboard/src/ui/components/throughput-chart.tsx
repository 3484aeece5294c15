import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import { lastHourData, MINUTES } from "../throughput-grid.js";
import type { ThroughputPoint } from "../wire.js";

/**
 * Completed and failed jobs per minute over the last hour, as two lines (uPlot draws on a
 * canvas). The drawn time range is on the element as `data-x-min` and `data-x-max` (epoch
 * seconds).
 */
export function ThroughputChart({ points }: { points: ThroughputPoint[] }) {
  const container = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);

  const data = (): uPlot.AlignedData => lastHourData(points, Date.now());

  useEffect(() => {
    const element = container.current;
    if (element === null) return;
    const plot = new uPlot(
      {
        width: Math.max(element.clientWidth, 300),
        height: 220,
        scales: {
          // The whole grid of minutes, not the range of the minutes that had jobs.
          x: { time: true, range: (u) => [u.data[0][0] ?? 0, u.data[0][MINUTES - 1] ?? 0] },
          y: { range: (_u, _min, max) => [0, Math.max(max, 1)] },
        },
        hooks: {
          draw: [
            (u) => {
              element.dataset.xMin = String(u.scales.x?.min);
              element.dataset.xMax = String(u.scales.x?.max);
            },
          ],
        },
        series: [
          {},
          { label: "completed", stroke: "#2f9e44", fill: "rgba(47,158,68,0.12)", width: 2 },
          { label: "failed", stroke: "#e03131", fill: "rgba(224,49,49,0.10)", width: 2 },
        ],
        axes: [{}, { label: "jobs / min" }],
      },
      data(),
      element,
    );
    chart.current = plot;
    const resize = new ResizeObserver(() =>
      plot.setSize({ width: Math.max(element.clientWidth, 300), height: 220 }),
    );
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
      chart.current = null;
    };
  }, []);

  // The chart is made once (above); new points only replace its data.
  useEffect(() => {
    chart.current?.setData(data());
  }, [points]);

  const completed = points.reduce((sum, p) => sum + p.completed, 0);
  const failed = points.reduce((sum, p) => sum + p.failed, 0);
  return (
    <div data-testid="throughput-chart">
      <div ref={container} class="chart" />
      <p class="muted">
        Last hour: <strong data-testid="throughput-completed">{completed}</strong> completed,{" "}
        <strong data-testid="throughput-failed">{failed}</strong> failed
      </p>
    </div>
  );
}
