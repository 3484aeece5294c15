import { describe, expect, it } from "vitest";
import { runConfigFromEnv, workloadConfigFromEnv } from "../src/config.js";
import { CONTENDERS, DEFAULT_CONTENDERS, runsWorkload } from "../src/contenders/index.js";
import { GROUPS, groupOf, peersOf, selectGroups } from "../src/groups.js";
import { WORKLOADS } from "../src/workloads/index.js";

const known = {
  contenders: Object.keys(CONTENDERS),
  defaultContenders: DEFAULT_CONTENDERS,
  workloads: Object.keys(WORKLOADS),
  groups: GROUPS.map((g) => g.name),
};

describe("groups", () => {
  it("puts every contender in exactly one group, and each group's subject in it", () => {
    for (const name of Object.keys(CONTENDERS)) {
      expect(
        GROUPS.filter((g) => g.contenders.includes(name)).map((g) => g.name),
        name,
      ).toHaveLength(1);
    }
    for (const group of GROUPS) {
      expect(group.contenders).toContain(group.subject);
      for (const c of group.contenders) expect(CONTENDERS[c], c).toBeDefined();
      for (const check of group.bar) {
        for (const c of check.contenders) expect(group.contenders).toContain(c);
        const workload = WORKLOADS[check.workload];
        expect(workload?.metrics.map((m) => m.key)).toContain(check.metric);
      }
      for (const variant of group.variants ?? []) {
        expect(group.contenders).toContain(variant.contender);
        expect(variant.contender).not.toBe(group.subject);
        for (const figure of variant.figures) {
          expect(WORKLOADS[figure.workload]?.metrics.map((m) => m.key)).toContain(figure.metric);
        }
      }
    }
  });

  it("measures sched-memory with the OpenTelemetry middleware as a variant of sched-memory, not a peer", () => {
    const memory = groupOf("sched-memory-otel");
    expect(memory.name).toBe("memory");
    expect(memory.variants?.map((v) => [v.contender, v.label])).toEqual([
      ["sched-memory-otel", "otel no-op overhead"],
    ]);
    const [selection] = selectGroups(runConfigFromEnv({ BENCH_GROUPS: "memory" }, known).contenders);
    expect(selection?.subject).toBe("sched-memory");
    expect(selection && peersOf(selection)).toEqual([]);
    const postgres = selectGroups(["pg-boss", "sched-postgres"])[0];
    expect(postgres && peersOf(postgres)).toEqual(["pg-boss"]);
  });

  it("measures each durable server's floor beside its group, idle latency only, not as a peer", () => {
    for (const [floor, subject] of [
      ["postgres-floor", "sched-postgres"],
      ["redis-floor", "sched-redis"],
    ] as const) {
      const group = groupOf(floor);
      expect(group.subject).toBe(subject);
      expect(group.variants?.find((v) => v.contender === floor)?.kind).toBe("floor");
      const [selection] = selectGroups(group.contenders);
      expect(selection && peersOf(selection)).not.toContain(floor);
      expect(Object.keys(WORKLOADS).filter((w) => runsWorkload(floor, WORKLOADS[w]!))).toEqual([
        "idle-latency",
      ]);
    }
    // Queues run every workload, less those needing a control they lack.
    expect(Object.keys(WORKLOADS).filter((w) => runsWorkload("sched-postgres", WORKLOADS[w]!))).toEqual(
      Object.keys(WORKLOADS),
    );
    expect(runsWorkload("bullmq", WORKLOADS.groups!)).toBe(false);
    expect(runsWorkload("no-such-contender", WORKLOADS.throughput!)).toBe(false);
  });

  it("runs the OpenTelemetry variant alone or beside sched-memory with BENCH_CONTENDERS", () => {
    const only = (env: Record<string, string>) => {
      const run = runConfigFromEnv(env, known);
      return selectGroups(run.contenders, GROUPS, run.groups).map((g) => [g.contenders, g.subject]);
    };
    expect(only({ BENCH_CONTENDERS: "sched-memory-otel" })).toEqual([[["sched-memory-otel"], null]]);
    expect(only({ BENCH_CONTENDERS: "sched-memory-otel,sched-memory", BENCH_GROUPS: "memory" })).toEqual([
      [["sched-memory", "sched-memory-otel"], "sched-memory"],
    ]);
    expect(only({ BENCH_CONTENDERS: "sched-memory" })).toEqual([[["sched-memory"], "sched-memory"]]);
  });

  it("runs every contender by default: the memory, PostgreSQL, Redis and MongoDB groups", () => {
    const run = runConfigFromEnv({}, known);
    expect(selectGroups(run.contenders).map((g) => [g.group.name, g.contenders, g.subject])).toEqual([
      ["memory", ["sched-memory", "sched-memory-otel"], "sched-memory"],
      [
        "postgres",
        ["pg-boss", "graphile-worker", "graphile-worker-localqueue", "sched-postgres", "postgres-floor"],
        "sched-postgres",
      ],
      ["redis", ["bullmq", "sched-redis", "redis-floor"], "sched-redis"],
      ["mongodb", ["agenda", "sched-mongodb"], "sched-mongodb"],
    ]);
  });

  it("selects a subset with BENCH_CONTENDERS, in the group's order", () => {
    const run = runConfigFromEnv({ BENCH_CONTENDERS: "sched-postgres, pg-boss" }, known);
    expect(selectGroups(run.contenders).map((g) => [g.group.name, g.contenders, g.subject])).toEqual([
      ["postgres", ["pg-boss", "sched-postgres"], "sched-postgres"],
    ]);
    const peers = selectGroups(runConfigFromEnv({ BENCH_CONTENDERS: "graphile-worker" }, known).contenders);
    expect(peers[0]?.subject).toBeNull();
    expect(() => runConfigFromEnv({ BENCH_CONTENDERS: "bull" }, known)).toThrow(/unknown name "bull"/);
  });

  it("selects whole groups with BENCH_GROUPS, and what BENCH_CONTENDERS names within them", () => {
    const only = (env: Record<string, string>) => {
      const run = runConfigFromEnv(env, known);
      return selectGroups(run.contenders, GROUPS, run.groups).map((g) => [g.group.name, g.contenders]);
    };
    expect(only({ BENCH_GROUPS: "redis" })).toEqual([["redis", ["bullmq", "sched-redis", "redis-floor"]]]);
    expect(only({ BENCH_GROUPS: "redis,memory" })).toEqual([
      ["memory", ["sched-memory", "sched-memory-otel"]],
      ["redis", ["bullmq", "sched-redis", "redis-floor"]],
    ]);
    expect(only({ BENCH_GROUPS: "redis", BENCH_CONTENDERS: "sched-redis,pg-boss" })).toEqual([
      ["redis", ["sched-redis"]],
    ]);
    expect(only({ BENCH_GROUPS: "postgres", BENCH_CONTENDERS: "bullmq" })).toEqual([]);
    expect(() => runConfigFromEnv({ BENCH_GROUPS: "mysql" }, known)).toThrow(
      /BENCH_GROUPS: unknown name "mysql"/,
    );
  });

  it("sizes the throughput workload per group", () => {
    const memory = groupOf("sched-memory");
    const postgres = groupOf("pg-boss");
    expect(workloadConfigFromEnv({}, memory).jobs).toBe(100_000);
    expect(workloadConfigFromEnv({}, postgres)).toMatchObject({
      jobs: 20_000,
      concurrency: 50,
      latencySamples: 1_000,
      latencyRate: 100,
      delayedJobs: 2_000,
      delayMs: 1_000,
    });
    // BENCH_JOBS sets every group; BENCH_<GROUP>_JOBS one group, and wins.
    const env = { BENCH_JOBS: "10_000", BENCH_POSTGRES_JOBS: "5000" };
    expect(workloadConfigFromEnv(env, memory).jobs).toBe(10_000);
    expect(workloadConfigFromEnv(env, postgres).jobs).toBe(5_000);
    expect(workloadConfigFromEnv({ BENCH_MEMORY_JOBS: "7" }, postgres).jobs).toBe(20_000);
    const redis = groupOf("bullmq");
    expect(groupOf("sched-redis")).toBe(redis);
    expect(workloadConfigFromEnv({}, redis).jobs).toBe(20_000);
    expect(workloadConfigFromEnv({ BENCH_JOBS: "9000", BENCH_REDIS_JOBS: "3000" }, redis).jobs).toBe(3_000);
    expect(workloadConfigFromEnv({ BENCH_REDIS_JOBS: "3000" }, postgres).jobs).toBe(20_000);
    expect(() => workloadConfigFromEnv({ BENCH_POSTGRES_JOBS: "0" }, postgres)).toThrow(
      /BENCH_POSTGRES_JOBS/,
    );
  });
});
