import { createScheduler, type Scheduler } from "@sched/core";
import { recordingLogger, waitFor } from "@sched/testing";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { PostgresStore } from "../src/index.js";
import { TestSchemas } from "./helpers.js";

const schemas = new TestSchemas();
afterAll(() => schemas.dropAll());

const LOSS = "the store lost its data";
const running: Array<{ scheduler: Scheduler; store: PostgresStore }> = [];
afterEach(async () => {
  for (const { scheduler, store } of running.splice(0)) {
    await scheduler.stop({ timeout: 0 });
    await store.close();
  }
});

/**
 * A running scheduler on a fresh schema, checking the store's epoch every 500 ms, with a schedule
 * that fires every second; resolves once it has fired. `ticks` holds the time of each tick run.
 */
async function schedulerWithTicks() {
  const schema = await schemas.migrated("sched_loss");
  const store = schemas.store(schema);
  const logger = recordingLogger();
  const scheduler = createScheduler({
    store,
    logger,
    pollInterval: "200ms",
    distributed: { lockRefresh: "500ms", lockTTL: "5s" },
  });
  running.push({ scheduler, store });
  const ticks: number[] = [];
  await scheduler.schedule("every-second", "* * * * * *", async () => {
    ticks.push(Date.now());
  });
  await scheduler.start();
  await waitFor(() => ticks.length > 0, { timeout: "10s", description: "a first tick" });
  return { schema, store, logger, scheduler, ticks };
}

/** Waits for the loss to be logged as an error; returns how long after `since` it was. */
async function lossNoticed(logger: ReturnType<typeof recordingLogger>, since: number): Promise<number> {
  await waitFor(() => logger.lines.some((line) => line.level === "error" && line.message.startsWith(LOSS)), {
    timeout: "10s",
    description: "the loss to be logged",
  });
  return Date.now() - since;
}

describe("a store that lost its data under a running scheduler", () => {
  it("emptied tables: the loss is logged within seconds, healthCheck says STORE_STATE_LOST, the schedule is restored and ticks again", async () => {
    const { schema, store, logger, scheduler, ticks } = await schedulerWithTicks();
    const health = scheduler.healthCheck();
    await health();
    const [later] = await scheduler.enqueueMany([
      { name: "every-second", payload: null, runAt: new Date(Date.now() + 3_600_000) },
    ]);
    const epoch = await store.epoch();

    const lostAt = Date.now();
    const tables = ["jobs", "schedules", "locks", "meta"].map((table) => `"${schema}".scheduler_${table}`);
    await schemas.locking(`TRUNCATE ${tables.join(", ")}`);

    const noticedAfter = await lossNoticed(logger, lostAt);
    expect(noticedAfter).toBeLessThan(3_000);
    await expect(health()).rejects.toMatchObject({ code: "STORE_STATE_LOST" });
    expect(await store.epoch()).not.toBe(epoch);
    // The jobs are gone, the schedule is back and fires again.
    expect(await store.getJob(later!.id)).toBeNull();
    await waitFor(async () => (await store.getSchedule("every-second")) !== null, {
      timeout: "5s",
      description: "the schedule to be restored",
    });
    await waitFor(() => ticks.some((at) => at > lostAt + noticedAfter), {
      timeout: "10s",
      description: "a tick after the loss",
    });
    expect(
      logger.lines.some((line) => line.level === "warn" && line.message.startsWith("restored 1 schedule")),
    ).toBe(true);
  });

  it("a schema dropped and migrated again: the same, once the tables are back", async () => {
    const { schema, store, logger, scheduler, ticks } = await schedulerWithTicks();
    const health = scheduler.healthCheck();
    await health();

    await schemas.drop(schema);
    // Calls fail with MIGRATION_REQUIRED meanwhile; an operator (or a deploy) migrates again.
    await waitFor(() => logger.lines.some((line) => line.level === "error"), {
      timeout: "10s",
      description: "the failing calls to be logged",
    });
    const migrator = schemas.store(schema);
    await migrator.migrate();
    await migrator.close();

    const migratedAt = Date.now();
    const noticedAfter = await lossNoticed(logger, migratedAt);
    expect(noticedAfter).toBeLessThan(5_000);
    await expect(health()).rejects.toMatchObject({ code: "STORE_STATE_LOST" });
    await waitFor(() => ticks.some((at) => at > migratedAt + noticedAfter), {
      timeout: "10s",
      description: "a tick after the tables are back",
    });
    expect((await store.getSchedule("every-second"))?.definedBy).toBe(scheduler.instanceId);
  });

  it("the same data keeps its epoch: no loss is reported while nothing is lost", async () => {
    const { store, logger, scheduler, ticks } = await schedulerWithTicks();
    const epoch = await store.epoch();
    const count = ticks.length;
    await waitFor(() => ticks.length >= count + 2, { timeout: "10s", description: "two more ticks" });
    expect(await store.epoch()).toBe(epoch);
    expect(logger.lines.filter((line) => line.message.startsWith(LOSS))).toEqual([]);
    await scheduler.healthCheck()();
  });
});
