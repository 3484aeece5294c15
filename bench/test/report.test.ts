import { describe, expect, it } from "vitest";
import type { Group, GroupSelection } from "../src/groups.js";
import type { RunResult } from "../src/protocol.js";
import {
  evaluateBar,
  evaluateVariants,
  type Figure,
  ratioOf,
  renderBar,
  renderReport,
  renderTable,
  renderVariant,
  summarize,
} from "../src/report.js";
import { distribution, median, percentile } from "../src/stats.js";
import { WORKLOADS } from "../src/workloads/index.js";
import { failure, figureOf, result } from "./fixtures.js";

const throughput = WORKLOADS.throughput!;
const latency = WORKLOADS["idle-latency"]!;

/** A group like the PostgreSQL one, with short names. */
const pgGroup: Group = {
  name: "pg",
  title: "test group",
  sizes: {},
  subject: "sched",
  contenders: ["boss", "gw", "gw-lq", "sched"],
  bar: [
    {
      workload: "throughput",
      metric: "processedPerSec",
      peer: "gw (best of 2)",
      contenders: ["gw", "gw-lq"],
      op: ">=",
      ratio: 1,
    },
    {
      workload: "throughput",
      metric: "processedPerSec",
      peer: "boss",
      contenders: ["boss"],
      op: ">=",
      ratio: 2,
    },
    { workload: "idle-latency", metric: "p99", peer: "boss", contenders: ["boss"], op: ">", ratio: 1 },
    {
      workload: "idle-latency",
      metric: "p99",
      peer: "gw (best of 2)",
      contenders: ["gw", "gw-lq"],
      op: ">",
      ratio: 1,
    },
  ],
};

function select(group: Group, contenders = group.contenders): GroupSelection {
  return {
    group,
    contenders,
    subject: contenders.includes(group.subject) ? group.subject : null,
  };
}

const tp = (processedPerSec: number, enqueuePerSec = 1) => ({ enqueuePerSec, processedPerSec });
const lat = (p99: number) => ({ p50: p99 / 2, p95: p99, p99, max: p99 * 2 });

/** Every peer measured; sched: 2.5x boss and 1.2x the best gw on throughput, best p99. */
function pgResults(): RunResult[] {
  return [
    result("boss", "throughput", tp(4_000, 20_000)),
    result("gw", "throughput", tp(2_000, 30_000)),
    result("gw-lq", "throughput", tp(5_000, 30_000)),
    result("sched", "throughput", tp(6_000, 60_000)),
    result("boss", "idle-latency", lat(10)),
    result("gw", "idle-latency", lat(8)),
    result("gw-lq", "idle-latency", lat(9)),
    result("sched", "idle-latency", lat(4)),
  ];
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

describe("ratios", () => {
  it("orients every ratio so that above 1 means better, whichever way the figure points", () => {
    expect(ratioOf(200, 100, "higher")).toBe(2);
    expect(ratioOf(50, 100, "higher")).toBe(0.5);
    expect(ratioOf(2, 4, "lower")).toBe(2);
    expect(ratioOf(4, 2, "lower")).toBe(0.5);
  });

  it("has no ratio when a figure is missing or not positive", () => {
    expect(ratioOf(null, 1, "higher")).toBeNull();
    expect(ratioOf(1, null, "lower")).toBeNull();
    expect(ratioOf(0, 1, "lower")).toBeNull();
  });

  it("gives the group's subject a ratio against each peer, and the peers none", () => {
    const figures = summarize(pgResults(), [throughput, latency], [select(pgGroup)]);
    expect(figureOf(figures, "sched", "throughput", "processedPerSec").ratios).toEqual({
      boss: 1.5,
      gw: 3,
      "gw-lq": 1.2,
    });
    expect(figureOf(figures, "sched", "throughput", "enqueuePerSec").ratios).toEqual({
      boss: 3,
      gw: 2,
      "gw-lq": 2,
    });
    expect(figureOf(figures, "sched", "idle-latency", "p99").ratios).toEqual({
      boss: 2.5,
      gw: 2,
      "gw-lq": 2.25,
    });
    for (const peer of ["boss", "gw", "gw-lq"]) {
      expect(figureOf(figures, peer, "throughput", "processedPerSec").ratios).toBeNull();
    }
  });

  it("compares only within a group", () => {
    const memory: Group = {
      ...pgGroup,
      name: "mem",
      subject: "sched-mem",
      contenders: ["sched-mem"],
      bar: [],
    };
    const figures = summarize(
      [...pgResults(), result("sched-mem", "throughput", tp(100_000))],
      [throughput],
      [select(memory), select(pgGroup)],
    );
    expect(figureOf(figures, "sched-mem", "throughput", "processedPerSec")).toMatchObject({
      group: "mem",
      ratios: {},
    });
    expect(Object.keys(figureOf(figures, "sched", "throughput", "processedPerSec").ratios ?? {})).toEqual([
      "boss",
      "gw",
      "gw-lq",
    ]);
  });

  it("reports the median of several runs", () => {
    const figures = summarize(
      [1, 2, 3].map((run) => result("sched", "throughput", tp(1, run * 10), run)),
      [throughput],
      [select(pgGroup, ["sched"])],
    );
    expect(figures[0]).toMatchObject({
      metric: "enqueuePerSec",
      value: 20,
      runs: [10, 20, 30],
      failedRuns: 0,
    });
  });
});

describe("table", () => {
  it("has one 'vs <peer>' column per peer, filled on the subject's rows", () => {
    const selection = select(pgGroup);
    const table = renderTable(summarize(pgResults(), [throughput, latency], [selection]), selection);
    const [header] = table.split("\n");
    expect(header).toMatch(/value\s+unit\s+vs boss\s+vs gw\s+vs gw-lq$/);
    expect(table).toMatch(/processed\s+boss\s+4,000\s+jobs\/s\n/);
    expect(table).toMatch(/\s+sched\s+6,000\s+jobs\/s\s+1\.50x\s+3\.00x\s+1\.20x\n/);
    expect(table).toMatch(/\s+sched\s+4\.00\s+ms\s+2\.50x\s+2\.00x\s+2\.25x\n/);
    // No targets in this group: no target column.
    expect(header).not.toContain("target");
  });

  it("has no ratio columns when the subject did not run or ran alone", () => {
    const peersOnly = select(pgGroup, ["boss", "gw"]);
    const table = renderTable(summarize(pgResults(), [throughput], [peersOnly]), peersOnly);
    expect(table).not.toContain("vs ");
    const alone = select(pgGroup, ["sched"]);
    expect(renderTable(summarize(pgResults(), [throughput], [alone]), alone)).not.toContain("vs ");
  });

  it("shows @sched's targets for the in-memory store", () => {
    const memory: Group = {
      name: "memory",
      title: "",
      sizes: {},
      subject: "sched-memory",
      contenders: ["sched-memory"],
      bar: [],
    };
    const selection = select(memory);
    const figures = summarize([result("sched-memory", "throughput", tp(150_000))], [throughput], [selection]);
    expect(renderTable(figures, selection)).toMatch(
      /processed\s+sched-memory\s+150,000\s+jobs\/s\s+>= 100,000\s+PASS/,
    );
  });

  it("prints a failed contender's error in its row and keeps the others", () => {
    const selection = select(pgGroup);
    const results = [
      ...pgResults().filter((r) => r.contender !== "gw"),
      failure("gw", "throughput", "Error: connect ECONNREFUSED 127.0.0.1:5432\n    at stack frame"),
    ];
    const figures = summarize(results, [throughput], [selection]);
    expect(figureOf(figures, "gw", "throughput", "processedPerSec")).toMatchObject({
      value: null,
      failedRuns: 1,
      error: "Error: connect ECONNREFUSED 127.0.0.1:5432",
    });
    expect(figureOf(figures, "sched", "throughput", "processedPerSec").ratios).toMatchObject({ gw: null });
    const table = renderTable(figures, selection);
    expect(table).toMatch(/gw\s+failed\s+jobs\/s\s+error: Error: connect ECONNREFUSED 127\.0\.0\.1:5432\n/);
    expect(table).not.toContain("stack frame");
    // Once per contender × workload, on its first figure.
    expect(table.match(/ECONNREFUSED/g)).toHaveLength(1);
    expect(table).toMatch(/processed\s+boss[^\n]*\n\s+gw\s+failed\s+jobs\/s\n/);
    expect(table).toMatch(/sched\s+6,000\s+jobs\/s\s+1\.50x\s+-\s+1\.20x/);
  });

  it("says how many runs failed when others succeeded", () => {
    const selection = select(pgGroup, ["sched"]);
    const figures = summarize(
      [result("sched", "throughput", tp(6_000), 1), failure("sched", "throughput", "timed out", 2)],
      [throughput],
      [selection],
    );
    expect(renderTable(figures, selection)).toContain("1 run(s) failed: timed out");
  });
});

describe("bar", () => {
  const checks = (figures: readonly Figure[], selection = select(pgGroup)) =>
    evaluateBar(figures, selection).map((b) => [b.requirement, b.met, b.peerContender]);

  it("passes when the subject beats the best configuration of each peer by the factor asked", () => {
    const figures = summarize(pgResults(), [throughput, latency], [select(pgGroup)]);
    expect(checks(figures)).toEqual([
      ["processed >= gw (best of 2)", true, "gw-lq"],
      ["processed >= 2x boss", false, "boss"],
      ["p99 < boss", true, "boss"],
      ["p99 < gw (best of 2)", true, "gw"],
    ]);
    const bar = evaluateBar(figures, select(pgGroup));
    expect(bar[1]).toMatchObject({ subjectValue: 6_000, peerValue: 4_000, ratio: 1.5, met: false });
  });

  it("asks for a strictly lower latency and at least the throughput", () => {
    const results = pgResults().map((r) =>
      r.contender === "sched" && r.workload === "idle-latency"
        ? result("sched", "idle-latency", lat(8))
        : r.contender === "sched"
          ? result("sched", "throughput", tp(8_000))
          : r,
    );
    const figures = summarize(results, [throughput, latency], [select(pgGroup)]);
    expect(checks(figures).map(([, met]) => met)).toEqual([true, true, true, false]);
  });

  it("uses the peer's configurations that were measured, and cannot tell without any", () => {
    const selection = select(pgGroup, ["gw-lq", "sched"]);
    const figures = summarize(pgResults(), [throughput, latency], [selection]);
    const bar = evaluateBar(figures, selection);
    expect(bar.map((b) => b.met)).toEqual([true, null, null, true]);
    expect(bar[0]?.note).toBe("without gw (failed or not run)");
    expect(bar[1]?.note).toBe("boss has no figure (boss failed or not run)");
    expect(renderBar(bar)).toMatch(
      /processed >= 2x boss\s+6,000 jobs\/s\s+-\s+-\s+n\/a\s+boss has no figure/,
    );
  });

  it("leaves out the checks of workloads that were not run", () => {
    const figures = summarize(pgResults(), [throughput], [select(pgGroup)]);
    expect(evaluateBar(figures, select(pgGroup)).map((b) => b.requirement)).toEqual([
      "processed >= gw (best of 2)",
      "processed >= 2x boss",
    ]);
  });

  it("is not checked when the subject did not run", () => {
    const figures = summarize(pgResults(), [throughput], [select(pgGroup, ["boss", "gw"])]);
    expect(evaluateBar(figures, select(pgGroup, ["boss", "gw"]))).toEqual([]);
  });

  it("is printed under its group's table", () => {
    const selection = select(pgGroup);
    const figures = summarize(pgResults(), [throughput, latency], [selection]);
    const report = renderReport(figures, [selection], evaluateBar(figures, selection));
    expect(report.startsWith("pg: test group\n")).toBe(true);
    expect(report).toMatch(/bar of sched\s+sched\s+peer/);
    expect(report).toMatch(
      /processed >= gw \(best of 2\)\s+6,000 jobs\/s\s+5,000 jobs\/s\s+gw-lq\s+1\.20x\s+PASS/,
    );
    expect(report).toMatch(/processed >= 2x boss\s+6,000 jobs\/s\s+4,000 jobs\/s\s+boss\s+1\.50x\s+FAIL/);
    expect(report).toMatch(/p99 < boss\s+4\.00 ms\s+10\.0 ms\s+boss\s+2\.50x\s+PASS/);
  });
});

describe("variants of the subject", () => {
  /** Like the memory group: the subject and the subject with a middleware. */
  const memory: Group = {
    name: "memory",
    title: "in-memory store",
    sizes: {},
    subject: "sched-memory",
    contenders: ["sched-memory", "sched-memory-otel"],
    bar: [],
    variants: [
      {
        contender: "sched-memory-otel",
        label: "otel no-op overhead",
        figures: [
          { workload: "throughput", metric: "processedPerSec", label: "throughput" },
          { workload: "throughput", metric: "enqueuePerSec", label: "bulk enqueue" },
          { workload: "idle-latency", metric: "p99", label: "idle p99" },
        ],
      },
    ],
  };
  const memoryResults = (): RunResult[] => [
    result("sched-memory", "throughput", tp(200_000, 400_000)),
    result("sched-memory-otel", "throughput", tp(196_000, 380_000)),
    result("sched-memory", "idle-latency", lat(1)),
    result("sched-memory-otel", "idle-latency", lat(1.02)),
  ];

  it("divides the variant's figures by the subject's, whichever way the figure points", () => {
    const selection = select(memory);
    const figures = summarize(memoryResults(), [throughput, latency], [selection]);
    const [variant] = evaluateVariants(figures, selection);
    expect(variant).toMatchObject({
      group: "memory",
      contender: "sched-memory-otel",
      subject: "sched-memory",
      label: "otel no-op overhead",
    });
    expect(variant?.figures.map((f) => [f.label, f.value, f.subjectValue])).toEqual([
      ["throughput", 196_000, 200_000],
      ["bulk enqueue", 380_000, 400_000],
      ["idle p99", 1.02, 1],
    ]);
    expect(variant?.figures.map((f) => f.quotient)).toEqual([0.98, 0.95, 1.02]);
  });

  it("prints one line under the table, and no ratio column for the variant", () => {
    const selection = select(memory);
    const figures = summarize(memoryResults(), [throughput, latency], [selection]);
    expect(figureOf(figures, "sched-memory", "throughput", "processedPerSec").ratios).toEqual({});
    expect(figureOf(figures, "sched-memory-otel", "throughput", "processedPerSec").ratios).toBeNull();
    const report = renderReport(figures, [selection], []);
    expect(report).not.toContain("vs ");
    expect(report).toMatch(/processed\s+sched-memory\s+200,000\s+jobs\/s\s+>= 100,000\s+PASS\n/);
    expect(report.split("\n").at(-1)).toBe(
      "otel no-op overhead (sched-memory-otel ÷ sched-memory): throughput 0.98x, bulk enqueue 0.95x, idle p99 1.02x",
    );
  });

  it("keeps the subject's ratios against its peers, and none against its variant", () => {
    const group: Group = {
      ...pgGroup,
      contenders: [...pgGroup.contenders, "sched-x"],
      variants: [
        {
          contender: "sched-x",
          label: "x overhead",
          figures: [{ workload: "throughput", metric: "processedPerSec", label: "throughput" }],
        },
      ],
    };
    const selection = select(group);
    const results = [...pgResults(), result("sched-x", "throughput", tp(3_000))];
    const figures = summarize(results, [throughput, latency], [selection]);
    expect(Object.keys(figureOf(figures, "sched", "throughput", "processedPerSec").ratios ?? {})).toEqual([
      "boss",
      "gw",
      "gw-lq",
    ]);
    const report = renderReport(figures, [selection], evaluateBar(figures, selection));
    expect(report.split("\n")[2]).toMatch(/vs boss\s+vs gw\s+vs gw-lq$/);
    expect(report).toMatch(/bar of sched[\s\S]*\n\nx overhead \(sched-x ÷ sched\): throughput 0\.50x$/);
  });

  it("leaves out the figures of workloads not run, and shows '-' for a missing figure", () => {
    const selection = select(memory);
    const onlyThroughput = summarize(memoryResults(), [throughput], [selection]);
    expect(evaluateVariants(onlyThroughput, selection).map(renderVariant)).toEqual([
      "otel no-op overhead (sched-memory-otel ÷ sched-memory): throughput 0.98x, bulk enqueue 0.95x",
    ]);
    const failed = summarize(
      [
        ...memoryResults().filter(
          (r) => !(r.contender === "sched-memory-otel" && r.workload === "idle-latency"),
        ),
        failure("sched-memory-otel", "idle-latency", "timed out"),
      ],
      [throughput, latency],
      [selection],
    );
    expect(evaluateVariants(failed, selection).map(renderVariant)).toEqual([
      "otel no-op overhead (sched-memory-otel ÷ sched-memory): throughput 0.98x, bulk enqueue 0.95x, idle p99 -",
    ]);
  });

  it("has no line without the subject or without the variant", () => {
    for (const contenders of [["sched-memory-otel"], ["sched-memory"]]) {
      const selection = select(memory, contenders);
      const figures = summarize(memoryResults(), [throughput, latency], [selection]);
      expect(evaluateVariants(figures, selection)).toEqual([]);
      expect(renderReport(figures, [selection], [])).not.toContain("overhead");
    }
  });
});

describe("a server's floor", () => {
  const group: Group = {
    name: "postgres",
    title: "PostgreSQL",
    sizes: {},
    subject: "sched",
    contenders: ["boss", "sched", "floor"],
    bar: [],
    variants: [
      {
        contender: "floor",
        kind: "floor",
        label: "server floor, one INSERT and COMMIT per job",
        figures: [
          { workload: "idle-latency", metric: "p50", label: "idle p50" },
          { workload: "idle-latency", metric: "p99", label: "idle p99" },
        ],
      },
    ],
  };

  it("prints the floor's own figures and how many times them the subject's are, and is no peer", () => {
    const selection = select(group);
    const figures = summarize(
      [
        result("boss", "idle-latency", { p50: 3, p95: 5, p99: 6, max: 9 }),
        result("sched", "idle-latency", { p50: 1.5, p95: 2, p99: 3.2, max: 5 }),
        result("floor", "idle-latency", { p50: 1, p95: 1.5, p99: 2, max: 4 }),
      ],
      [latency],
      [selection],
    );
    expect(Object.keys(figureOf(figures, "sched", "idle-latency", "p99").ratios ?? {})).toEqual(["boss"]);
    const report = renderReport(figures, [selection], []);
    expect(report.split("\n").at(-1)).toBe(
      "server floor, one INSERT and COMMIT per job (floor): idle p50 1.00 ms, idle p99 2.00 ms; sched ÷ floor: 1.50x, 1.60x",
    );
  });
});

describe("queue-control workloads", () => {
  const rate = WORKLOADS["rate-limit"]!;
  const groups = WORKLOADS.groups!;
  const redisLike: Group = { ...pgGroup, name: "r", contenders: ["bull", "sched"], bar: [] };
  const rateFigures = (limit: number, highest: number, sliding: number, pace: number) => ({
    limit,
    highestPerWindow: highest,
    highestSliding: sliding,
    startedPerSec: pace,
  });

  it("leaves out a workload a contender did not run, instead of showing it failed", () => {
    const figures = summarize(
      [result("sched", "groups", { plainPerSec: 10, groupedPerSec: 5, groupedShare: 0.5 })],
      [groups],
      [select(redisLike)],
    );
    expect(figures.filter((f) => f.contender === "bull")).toEqual([]);
    expect(figureOf(figures, "sched", "groups", "groupedShare").value).toBe(0.5);
  });

  it("gives no ratio on figures read against the limit, and orients the others", () => {
    const figures = summarize(
      [
        result("bull", "rate-limit", rateFigures(1000, 1100, 1400, 1050)),
        result("sched", "rate-limit", rateFigures(1000, 1000, 2000, 1000)),
      ],
      [rate],
      [select(redisLike)],
    );
    expect(figureOf(figures, "sched", "rate-limit", "limit").ratios).toEqual({ bull: null });
    expect(figureOf(figures, "sched", "rate-limit", "startedPerSec").ratios).toEqual({ bull: null });
    expect(figureOf(figures, "sched", "rate-limit", "highestPerWindow").ratios).toEqual({ bull: 1.1 });
    expect(figureOf(figures, "sched", "rate-limit", "highestSliding").ratios).toEqual({ bull: 0.7 });
  });
});
