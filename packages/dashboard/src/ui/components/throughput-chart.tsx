import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import type { ThroughputPoint } from "../wire.js";

/** Completed and failed jobs per minute as two lines (uPlot draws on a canvas). */
export function ThroughputChart({ points }: { points: ThroughputPoint[] }) {
  const container = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);

  const data = (): uPlot.AlignedData => [
    points.map((p) => new Date(p.minute).getTime() / 1000),
    points.map((p) => p.completed),
    points.map((p) => p.failed),
  ];

  useEffect(() => {
    const element = container.current;
    if (element === null) return;
    const plot = new uPlot(
      {
        width: Math.max(element.clientWidth, 300),
        height: 220,
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(max, 1)] } },
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
