/**
 * Charts of the growth curves and the soak, drawn by Observable Plot on a server-side DOM
 * (linkedom) and written as one standalone SVG file per mode.
 */
import * as Plot from "@observablehq/plot";
import { parseHTML } from "linkedom";

/** One line's point: x, y and the line it belongs to (a backend). */
export interface ChartPoint {
  x: number;
  y: number;
  line: string;
}

/** One small chart of a grid. */
export interface Chart {
  title: string;
  xLabel: string;
  yLabel: string;
  /** A logarithmic x axis (job counts, concurrency). */
  xLog?: boolean;
  /** A logarithmic y axis (jobs/s of backends an order of magnitude apart). */
  yLog?: boolean;
  points: ChartPoint[];
}

const WIDTH = 420;
const HEIGHT = 260;
const TITLE_HEIGHT = 24;

type PlotOptions = NonNullable<Parameters<typeof Plot.plot>[0]>;

function chartSvg(document: unknown, chart: Chart): string {
  const svg = Plot.plot({
    document: document as PlotOptions["document"],
    width: WIDTH,
    height: HEIGHT,
    marginRight: 90,
    marginLeft: 56,
    style: { fontFamily: "sans-serif", fontSize: "11px", background: "white" },
    x: { type: chart.xLog ? "log" : "linear", label: chart.xLabel, grid: true },
    y: chart.yLog
      ? { type: "log", label: chart.yLabel, grid: true }
      : { label: chart.yLabel, grid: true, zero: true },
    color: { type: "categorical", scheme: "tableau10" },
    marks: [
      Plot.line(chart.points, { x: "x", y: "y", stroke: "line", marker: "circle" }),
      Plot.text(
        chart.points,
        Plot.selectLast({
          x: "x",
          y: "y",
          z: "line",
          text: "line",
          fill: "line",
          dx: 6,
          textAnchor: "start",
        }),
      ),
    ],
  }) as unknown as { outerHTML: string };
  return svg.outerHTML;
}

/**
 * One SVG holding `charts` in a grid of `columns`, each under its title, with `title` on top.
 * A chart without points is drawn as an empty frame with its title.
 */
export function renderCharts(title: string, charts: readonly Chart[], columns: number): string {
  const { document } = parseHTML("<!doctype html><html><body></body></html>");
  const rows = Math.ceil(charts.length / columns);
  const width = columns * WIDTH;
  const height = TITLE_HEIGHT + rows * (HEIGHT + TITLE_HEIGHT);
  const parts = charts.map((chart, k) => {
    const x = (k % columns) * WIDTH;
    const y = TITLE_HEIGHT + Math.floor(k / columns) * (HEIGHT + TITLE_HEIGHT);
    const inner = chart.points.length > 0 ? chartSvg(document, chart) : "";
    return (
      `<text x="${x + 8}" y="${y + 16}" font-family="sans-serif" font-size="13" font-weight="bold">${escapeXml(chart.title)}</text>` +
      `<g transform="translate(${x},${y + TITLE_HEIGHT})">${inner}</g>`
    );
  });
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `<rect width="100%" height="100%" fill="white"/>` +
    `<text x="8" y="17" font-family="sans-serif" font-size="15" font-weight="bold">${escapeXml(title)}</text>` +
    `${parts.join("")}</svg>\n`
  );
}

function escapeXml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}
