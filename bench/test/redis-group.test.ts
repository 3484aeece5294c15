import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { deleteKeys, keyPattern, redisUrl } from "../src/contenders/redis.js";
import { GROUPS, type GroupSelection, selectGroups } from "../src/groups.js";
import type { RunResult } from "../src/protocol.js";
import { evaluateBar, renderBar, renderReport, renderTable, summarize } from "../src/report.js";
import { WORKLOADS } from "../src/workloads/index.js";
import { failure, figureOf, result } from "./fixtures.js";

const throughput = WORKLOADS.throughput!;
const latency = WORKLOADS["idle-latency"]!;
const delayed = WORKLOADS.delayed!;
const redis = GROUPS.find((g) => g.name === "redis")!;

const tp = (processedPerSec: number, enqueuePerSec: number) => ({ enqueuePerSec, processedPerSec });
const lat = (p99: number) => ({ p50: p99 / 4, p95: p99 / 2, p99, max: p99 * 3 });
const late = (p99: number) => ({ first: p99 / 10, p50: p99 / 2, p99 });

function selection(contenders = redis.contenders): GroupSelection {
  const [s] = selectGroups(contenders);
  if (!s) throw new Error("nothing selected");
  return s;
}

/** BullMQ: 10,000 jobs/s, p99 2 ms; sched-redis: 25,000 jobs/s, p99 1.6 ms. */
function redisResults(): RunResult[] {
  return [
    result("bullmq", "throughput", tp(10_000, 25_000)),
    result("sched-redis", "throughput", tp(25_000, 50_000)),
    result("bullmq", "idle-latency", lat(2)),
    result("sched-redis", "idle-latency", lat(1.6)),
    result("bullmq", "delayed", late(300)),
    result("sched-redis", "delayed", late(30)),
  ];
}

describe("the Redis group", () => {
  it("compares sched-redis with BullMQ, on the same sizes as the PostgreSQL group", () => {
    expect(redis).toMatchObject({
      subject: "sched-redis",
      contenders: ["bullmq", "sched-redis", "redis-floor"],
    });
    expect(redis.sizes).toEqual(GROUPS.find((g) => g.name === "postgres")?.sizes);
    expect(selection().subject).toBe("sched-redis");
    expect(selection(["bullmq"]).subject).toBeNull();
  });

  it("gives sched-redis a ratio against BullMQ on every figure, above 1 when it is better", () => {
    const s = selection();
    const figures = summarize(redisResults(), [throughput, latency, delayed], [s]);
    expect(figureOf(figures, "sched-redis", "throughput", "processedPerSec").ratios).toEqual({
      bullmq: 2.5,
    });
    expect(figureOf(figures, "sched-redis", "throughput", "enqueuePerSec").ratios).toEqual({ bullmq: 2 });
    expect(figureOf(figures, "sched-redis", "idle-latency", "p99").ratios?.bullmq).toBeCloseTo(1.25);
    expect(figureOf(figures, "sched-redis", "delayed", "p99").ratios).toEqual({ bullmq: 10 });
    expect(figureOf(figures, "bullmq", "throughput", "processedPerSec").ratios).toBeNull();
    const table = renderTable(figures, s);
    expect(table.split("\n")[0]).toMatch(/value\s+unit\s+vs bullmq\s+target$/);
    expect(table).toMatch(
      /processed\s+bullmq\s+10,000\s+jobs\/s\n\s+sched-redis\s+25,000\s+jobs\/s\s+2\.50x\n/,
    );
    expect(table).toMatch(
      /p99\s+bullmq\s+2\.00\s+ms\n\s+sched-redis\s+1\.60\s+ms\s+1\.25x\s+<= 3\.00\s+PASS\n/,
    );
  });

  it("passes the bar with processed >= 2x BullMQ's and a lower idle p99", () => {
    const s = selection();
    const figures = summarize(redisResults(), [throughput, latency, delayed], [s]);
    const bar = evaluateBar(figures, s);
    expect(bar.map((b) => [b.requirement, b.peerContender, b.met])).toEqual([
      ["processed >= 2x bullmq", "bullmq", true],
      ["p99 < bullmq", "bullmq", true],
    ]);
    const report = renderReport(figures, [s], bar);
    expect(report).toMatch(/bar of sched-redis\s+sched-redis\s+peer/);
    expect(report).toMatch(
      /processed >= 2x bullmq\s+25,000 jobs\/s\s+10,000 jobs\/s\s+bullmq\s+2\.50x\s+PASS/,
    );
    expect(report).toMatch(/p99 < bullmq\s+1\.60 ms\s+2\.00 ms\s+bullmq\s+1\.25x\s+PASS/);
  });

  it("passes twice the throughput but not an equal p99, and fails less than twice", () => {
    const s = selection();
    const results = [
      result("bullmq", "throughput", tp(10_000, 25_000)),
      result("sched-redis", "throughput", tp(20_000, 50_000)),
      result("bullmq", "idle-latency", lat(2)),
      result("sched-redis", "idle-latency", lat(2)),
    ];
    expect(evaluateBar(summarize(results, [throughput, latency], [s]), s).map((b) => b.met)).toEqual([
      true,
      false,
    ]);
    const slower = results.map((r) =>
      r.contender === "sched-redis" && r.workload === "throughput"
        ? result("sched-redis", "throughput", tp(19_000, 50_000))
        : r,
    );
    const bar = evaluateBar(summarize(slower, [throughput, latency], [s]), s);
    expect(bar[0]).toMatchObject({ subjectValue: 19_000, peerValue: 10_000, ratio: 1.9, met: false });
    expect(renderBar(bar)).toMatch(
      /processed >= 2x bullmq\s+19,000 jobs\/s\s+10,000 jobs\/s\s+bullmq\s+1\.90x\s+FAIL/,
    );
  });

  it("cannot tell when BullMQ or sched-redis failed, and keeps the other's figures", () => {
    const s = selection();
    const withoutBull = [
      ...redisResults().filter((r) => !(r.contender === "bullmq" && r.workload === "throughput")),
      failure("bullmq", "throughput", "Error: connect ECONNREFUSED 127.0.0.1:6379\n    at frame"),
    ];
    const figures = summarize(withoutBull, [throughput, latency], [s]);
    const bar = evaluateBar(figures, s);
    expect(bar.map((b) => b.met)).toEqual([null, true]);
    expect(bar[0]?.note).toBe("bullmq has no figure (bullmq failed or not run)");
    expect(renderTable(figures, s)).toMatch(/bullmq\s+failed\s+jobs\/s\s+error: Error: connect ECONNREFUSED/);

    const withoutSched = [
      ...redisResults().filter((r) => r.contender !== "sched-redis"),
      failure("sched-redis", "throughput", "TypeError: RedisStore is not a constructor"),
      failure("sched-redis", "idle-latency", "TypeError: RedisStore is not a constructor"),
    ];
    const failed = summarize(withoutSched, [throughput, latency], [s]);
    const noBar = evaluateBar(failed, s);
    expect(noBar.map((b) => [b.met, b.note])).toEqual([
      [null, "sched-redis has no figure"],
      [null, "sched-redis has no figure"],
    ]);
    expect(renderBar(noBar)).toMatch(/p99 < bullmq\s+-\s+2\.00 ms\s+bullmq\s+-\s+n\/a/);
    expect(figureOf(failed, "bullmq", "idle-latency", "p99").value).toBe(2);
  });

  it("has no bar when only BullMQ ran, and no peer when only sched-redis ran", () => {
    const bullOnly = selection(["bullmq"]);
    expect(evaluateBar(summarize(redisResults(), [throughput, latency], [bullOnly]), bullOnly)).toEqual([]);
    const schedOnly = selection(["sched-redis"]);
    const figures = summarize(redisResults(), [throughput, latency], [schedOnly]);
    expect(renderTable(figures, schedOnly)).not.toContain("vs ");
    expect(evaluateBar(figures, schedOnly).map((b) => b.met)).toEqual([null, null]);
  });

  it("is reported after the PostgreSQL group, each with its own bar", () => {
    const groups = selectGroups(["sched-postgres", "pg-boss", "bullmq", "sched-redis"]);
    expect(groups.map((g) => g.group.name)).toEqual(["postgres", "redis"]);
    const results = [
      ...redisResults(),
      result("pg-boss", "throughput", tp(4_000, 20_000)),
      result("sched-postgres", "throughput", tp(9_000, 30_000)),
    ];
    const figures = summarize(results, [throughput], groups);
    const bars = groups.flatMap((g) => evaluateBar(figures, g));
    expect(bars.map((b) => [b.group, b.requirement])).toEqual([
      ["postgres", "processed >= 2x graphile-worker (best of its 2 configs)"],
      ["postgres", "bulk enqueue >= 1.5x graphile-worker (best of its 2 configs)"],
      ["postgres", "processed >= 2x pg-boss"],
      ["redis", "processed >= 2x bullmq"],
    ]);
    // sched-redis is compared with BullMQ only, never with the PostgreSQL peers.
    expect(
      Object.keys(figureOf(figures, "sched-redis", "throughput", "processedPerSec").ratios ?? {}),
    ).toEqual(["bullmq"]);
    const report = renderReport(figures, groups, bars);
    expect(report.indexOf("redis: Redis")).toBeGreaterThan(report.indexOf("bar of sched-postgres"));
  });
});

describe("Redis keys", () => {
  it("reads the server from SCHED_REDIS_URL", () => {
    expect(redisUrl({})).toBe("redis://127.0.0.1:6379");
    expect(redisUrl({ SCHED_REDIS_URL: " redis://db:6380/2 " })).toBe("redis://db:6380/2");
  });

  it("deletes only the contender's own prefix, never everything", () => {
    expect(keyPattern("bench_bullmq")).toBe("bench_bullmq*");
    expect(keyPattern("bench_sched:")).toBe("bench_sched:*");
    // @sched/store-redis hash-tags a queue's keys: `{<prefix><queue>}:…`.
    expect(keyPattern("{bench_sched:")).toBe("{bench_sched:*");
    for (const bad of ["", "*", "bench?", "a b", "bench[x]"]) expect(() => keyPattern(bad), bad).toThrow();
  });
});

/** Whether the Redis of `SCHED_REDIS_URL` answers; the test that needs it is skipped otherwise. */
async function redisAnswers(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on("error", () => {});
  try {
    await client.connect();
    return (await client.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

const url = redisUrl();
const reachable = await redisAnswers(url);

describe.skipIf(!reachable)("deleting a contender's keys", () => {
  it("deletes every key under the prefixes and nothing else", async () => {
    const client = new Redis(url);
    const mine = ["bench_cleanup_test:a", "bench_cleanup_test:b:c", "{bench_cleanup_test:q}:job:1"];
    const others = ["bench_cleanup_tesT:a", "x:bench_cleanup_test:a", "{bench_cleanup_tes}:a"];
    try {
      for (const key of [...mine, ...others]) await client.set(key, "1");
      expect(await deleteKeys(url, ["bench_cleanup_test:", "{bench_cleanup_test:"])).toBe(mine.length);
      expect(await client.exists(...mine)).toBe(0);
      expect(await client.exists(...others)).toBe(others.length);
    } finally {
      await client.del(...mine, ...others);
      client.disconnect();
    }
  });
});
