import { describe, expect, it } from "vitest";
import type { RunResult } from "../src/protocol.js";
import { renderTable, summarize } from "../src/report.js";
import { distribution, median, percentile } from "../src/stats.js";
import { WORKLOADS } from "../src/workloads/index.js";

const throughput = WORKLOADS.throughput!;
const latency = WORKLOADS["idle-latency"]!;

function result(contender: string, workload: string, metrics: Record<string, number>, run = 1): RunResult {
  return { contender, workload, run, ok: true, metrics, error: null, node: "v22", rssMiB: 1, wallMs: 1 };
}

describe("stats", () => {
  it("takes nearest-rank percentiles", () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile(sorted, 100)).toBe(100);
    expect(distribution([3, 1, 2])).toMatchObject({ count: 3, min: 1, p50: 2, max: 3, mean: 2 });
  });

  it("takes the median of an even count as the mean of the middle two", () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});

describe("report", () => {
  it("orients every ratio so that above 1 means better than the baseline", () => {
    const figures = summarize(
      [
        result("a", "throughput", { enqueuePerSec: 100, processedPerSec: 100 }),
        result("b", "throughput", { enqueuePerSec: 200, processedPerSec: 50 }),
        result("a", "idle-latency", { p50: 1, p95: 2, p99: 4, max: 8 }),
        result("b", "idle-latency", { p50: 2, p95: 2, p99: 2, max: 8 }),
      ],
      [throughput, latency],
      ["a", "b"],
      "a",
    );
    const ratio = (workload: string, metric: string) =>
      figures.find((f) => f.contender === "b" && f.workload === workload && f.metric === metric)?.ratio;
    expect(ratio("throughput", "enqueuePerSec")).toBe(2);
    expect(ratio("throughput", "processedPerSec")).toBe(0.5);
    expect(ratio("idle-latency", "p50")).toBe(0.5);
    expect(ratio("idle-latency", "p99")).toBe(2);
  });

  it("reports the median of several runs", () => {
    const figures = summarize(
      [1, 2, 3].map((run) => result("a", "throughput", { enqueuePerSec: run * 10, processedPerSec: 1 }, run)),
      [throughput],
      ["a"],
      "a",
    );
    expect(figures[0]).toMatchObject({ metric: "enqueuePerSec", value: 20, runs: [10, 20, 30] });
  });

  it("shows a ratio column only when more than one contender ran", () => {
    const one = summarize(
      [result("sched-memory", "throughput", { enqueuePerSec: 1, processedPerSec: 150_000 })],
      [throughput],
      ["sched-memory"],
      "sched-memory",
    );
    const single = renderTable(one, ["sched-memory"], "sched-memory");
    expect(single).not.toContain("vs sched-memory");
    expect(single).toMatch(/processed\s+sched-memory\s+150,000\s+jobs\/s\s+>= 100,000\s+PASS/);

    const two = summarize(
      [
        result("sched-memory", "throughput", { enqueuePerSec: 1, processedPerSec: 50_000 }),
        result("peer", "throughput", { enqueuePerSec: 2, processedPerSec: 5_000 }),
      ],
      [throughput],
      ["sched-memory", "peer"],
      "peer",
    );
    const table = renderTable(two, ["sched-memory", "peer"], "peer");
    expect(table).toContain("vs peer");
    expect(table).toMatch(/sched-memory\s+50,000\s+jobs\/s\s+10\.00x\s+>= 100,000\s+FAIL/);
    expect(table).toMatch(/peer\s+5,000\s+jobs\/s\s+baseline/);
  });

  it("marks a contender whose every run failed", () => {
    const failed: RunResult = { ...result("a", "throughput", {}), ok: false, metrics: null, error: "boom" };
    const figures = summarize([failed], [throughput], ["a"], "a");
    expect(renderTable(figures, ["a"], "a")).toContain("failed");
  });
});
