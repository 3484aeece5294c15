import { randomUUID } from "node:crypto";
import { createScheduler, type Job } from "@sched/core";
import { RedisStore, type WaitForReplicas } from "@sched/store-redis";
import { PrivateSentinelGroup } from "@sched/test-servers";
import { waitFor } from "@sched/testing";
import { afterAll, beforeAll, expect } from "vitest";
import { RedisLeader } from "../src/index.js";
import { sleep } from "./redis.js";

// A failover in the middle of a run: a primary, its replica and three Sentinels of this file's own
// (judging a primary down after 1 s); the scheduler (a RedisStore and a RedisLeader, both through
// the Sentinels) enqueues, runs jobs and fires a schedule every second while the primary is
// killed with SIGKILL. It must carry on by itself once the replica is promoted; the test prints
// what the failover cost. Without waitForReplicas, Redis's asynchronous replication may lose the
// writes acknowledged in the last moments before the kill (the README's guarantee); with
// `waitForReplicas: { replicas: 1 }`, no acknowledged enqueue may be lost.

export const PASSWORD = "data-pw:f@ilover";
export const SENTINEL_PASSWORD = "sentinel-pw#f@ilover";
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** What a failover cost a run. */
export interface FailoverReport {
  acknowledged: number;
  refused: number;
  lost: string[];
  lostAcknowledgedAfterKill: string[];
  ranTwice: number;
  ticksAfterPromotion: number;
  failoverMs: number;
}

/**
 * Runs a scheduler through a failover of `group` (see the comment above) and reports what it cost.
 */
export async function runThroughFailover(
  group: PrivateSentinelGroup,
  waitForReplicas: WaitForReplicas | undefined,
): Promise<FailoverReport> {
  const keyPrefix = `sched-test:failover:${randomUUID().slice(0, 8)}:`;
  const connection = {
    sentinels: group.sentinelAddresses,
    password: PASSWORD,
    sentinelPassword: SENTINEL_PASSWORD,
    keyPrefix,
  };
  const store = new RedisStore({
    ...connection,
    name: group.name,
    ...(waitForReplicas === undefined ? {} : { waitForReplicas }),
  });
  const leader = new RedisLeader({
    ...connection,
    sentinelName: group.name,
    ttl: "3s",
    instanceId: "one",
    logger: quiet,
  });
  const s = createScheduler({
    store,
    leader,
    distributed: { lockTTL: "3s", lockRefresh: "500ms" },
    pollInterval: "200ms",
    storeTimeout: "3s",
    workers: 20,
    logger: quiet,
  });
  const runs = new Map<string, number>();
  const ticks: number[] = [];
  s.register("work", async (job: Job) => {
    runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
  });
  const acknowledged = new Map<string, number>();
  let refused = 0;
  let enqueuing = true;
  try {
    await s
      .every(1)
      .seconds()
      .do("tick", async () => {
        ticks.push(Date.now());
      });
    await s.start();
    const enqueuer = (async () => {
      for (let n = 0; enqueuing; n++) {
        try {
          const job = await s.enqueue({ name: "work", payload: { n } });
          acknowledged.set(job.id, Date.now());
        } catch {
          // Refused while there is no primary: the caller knows it was not done.
          refused++;
          await sleep(50);
        }
        await sleep(5);
      }
    })();
    await waitFor(() => s.isLeader && ticks.length >= 1, {
      timeout: "15s",
      description: "a leader and a tick",
    });
    await sleep(1_500);

    const oldPrimary = await group.primary();
    const killedAt = Date.now();
    await oldPrimary.kill();
    await group.waitForFailover(oldPrimary.port);
    const promotedAt = Date.now();
    // The old primary comes back empty (as a process manager would restart it) and the Sentinels
    // make it a replica of the new one: with waitForReplicas, writes are acknowledged again once
    // it has synced.
    await oldPrimary.start();
    // Only waitForReplicas needs the replica back (without it, nothing waits for one). The
    // Sentinels convert the restarted primary at their next look at it, which a loaded machine
    // may delay.
    if (waitForReplicas !== undefined) {
      await waitFor(
        async () =>
          /master_link_status:up/.test(
            String(await group.command(oldPrimary.port, PASSWORD, ["INFO", "replication"]).catch(() => "")),
          ),
        { timeout: "60s", interval: "200ms", description: "the old primary to come back as a replica" },
      );
    }

    // The scheduler carries on by itself: a leader again, ticks firing, new jobs running.
    await waitFor(() => s.isLeader, { timeout: "20s", description: "the leader to be re-elected" });
    await waitFor(() => ticks.filter((at) => at > promotedAt).length >= 2, {
      timeout: "20s",
      description: "two schedule ticks after the promotion",
    });
    await sleep(1_000);
    enqueuing = false;
    await enqueuer;
    const afterPromotion = [...acknowledged].filter(([, at]) => at > promotedAt).map(([id]) => id);
    expect(afterPromotion.length).toBeGreaterThan(0);
    await waitFor(() => afterPromotion.every((id) => runs.has(id)), {
      timeout: "20s",
      description: "every job acknowledged after the promotion to run",
    });
    // Jobs claimed by the dead primary's last moments come back once their lease (3 s) expires.
    await waitFor(
      async () => {
        const stats = await store.stats();
        return stats.pending === 0 && stats.running === 0 && stats.scheduled === 0;
      },
      { timeout: "30s", interval: "200ms", description: "the queue to drain" },
    );
    const lost = [...acknowledged.keys()].filter((id) => !runs.has(id));
    return {
      acknowledged: acknowledged.size,
      refused,
      lost,
      lostAcknowledgedAfterKill: lost.filter((id) => (acknowledged.get(id) ?? 0) >= killedAt),
      ranTwice: [...runs.values()].filter((count) => count > 1).length,
      ticksAfterPromotion: ticks.filter((at) => at > promotedAt).length,
      failoverMs: promotedAt - killedAt,
    };
  } finally {
    enqueuing = false;
    await s.stop();
    await Promise.all([store.close(), leader.close()]);
  }
}

/** Prints the report in the test output. */
export function print(label: string, report: FailoverReport): void {
  console.log(
    `[sentinel failover, ${label}] primary killed, replica promoted after ${report.failoverMs}ms; ` +
      `${report.acknowledged} enqueues acknowledged, ${report.refused} refused during the failover; ` +
      `lost (acknowledged, never run): ${report.lost.length}; run twice: ${report.ranTwice}; ` +
      `ticks after the promotion: ${report.ticksAfterPromotion}`,
  );
}

/** A Sentinel group of the calling test file's own, started before its tests and removed after. */
export function useSentinelGroup(): PrivateSentinelGroup {
  const group = new PrivateSentinelGroup({ password: PASSWORD, sentinelPassword: SENTINEL_PASSWORD });
  beforeAll(() => group.start(), 60_000);
  afterAll(() => group.remove());
  return group;
}
