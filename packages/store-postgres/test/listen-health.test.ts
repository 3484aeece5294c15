import { FaultProxy } from "@sched/test-servers";
import { recordingLogger, waitFor } from "@sched/testing";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { POSTGRES_URL, TestSchemas } from "./helpers.js";

// A LISTEN connection that cannot be opened or is lost leaves every wake-up and cancel from
// other instances to polling: the store says so through its logger, and says when it is back.
const schemas = new TestSchemas();
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(() => schemas.dropAll());

/** `POSTGRES_URL` with `port` and a password in it, which must never be logged. */
function listenUrl(port: number): string {
  const url = new URL(POSTGRES_URL);
  url.port = String(port);
  url.username = url.username || "root";
  url.password = "listen-secret-pw";
  return url.toString();
}

describe("the LISTEN connection's health is logged", () => {
  it("an unreachable listenConnectionString is a warning naming its address, never the string", async () => {
    const schema = await schemas.migrated("sched_listen_health");
    // A port nothing listens on: the proxy is closed again at once.
    const closed = await FaultProxy.start(new URL(POSTGRES_URL).host);
    const port = closed.port;
    await closed.close();
    const logger = recordingLogger();
    const store = schemas.store(schema, { listenConnectionString: listenUrl(port), logger });
    cleanups.push(() => store.close());
    const unsubscribe = store.subscribe(() => {});
    cleanups.push(async () => unsubscribe());
    await waitFor(
      () => logger.lines.some((line) => line.level === "warn" && line.message.includes("LISTEN")),
      {
        description: "a warning about the LISTEN connection",
      },
    );
    const warning = logger.lines.find((line) => line.level === "warn" && line.message.includes("LISTEN"));
    expect(warning?.message).toContain("listenConnectionString");
    expect(warning?.message).toContain("polling");
    expect(warning?.fields).toMatchObject({ address: `127.0.0.1:${port}`, failures: 1 });
    expect(JSON.stringify(logger.lines)).not.toContain("listen-secret-pw");
  });

  it("a LISTEN connection lost and opened again is a warning, then one line saying it is back", async () => {
    const schema = await schemas.migrated("sched_listen_health");
    const proxy = await FaultProxy.start(new URL(POSTGRES_URL).host);
    cleanups.push(() => proxy.close());
    const logger = recordingLogger();
    const store = schemas.store(schema, { listenConnectionString: listenUrl(proxy.port), logger });
    cleanups.push(() => store.close());
    const unsubscribe = store.subscribe(() => {});
    cleanups.push(async () => unsubscribe());
    await waitFor(() => proxy.openConnections > 0, { description: "the LISTEN connection" });
    // Listening: nothing logged yet.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(logger.lines.filter((line) => line.message.includes("LISTEN"))).toEqual([]);
    proxy.dropConnections();
    await waitFor(() => logger.lines.some((line) => line.level === "info" && line.message.includes("back")), {
      description: "the LISTEN connection back",
    });
    const lines = logger.lines.filter((line) => line.message.includes("LISTEN"));
    expect(lines.map((line) => line.level)).toEqual(["warn", "info"]);
    expect(lines[1]?.message).toBe("the LISTEN connection is back after 1 failed attempt(s)");
  });
});

describe("the LISTEN connection is checked to hear the store's notifications", () => {
  it("listening in another database is a warning after the probe goes unheard; listening right is not", async () => {
    const schema = await schemas.migrated("sched_listen_health");
    const elsewhere = new URL(POSTGRES_URL);
    elsewhere.pathname = "/postgres";
    const wrongLogger = recordingLogger();
    const wrong = schemas.store(schema, {
      listenConnectionString: elsewhere.toString(),
      logger: wrongLogger,
    });
    const rightLogger = recordingLogger();
    const right = schemas.store(schema, { listenConnectionString: POSTGRES_URL, logger: rightLogger });
    cleanups.push(
      () => wrong.close(),
      () => right.close(),
    );
    const offs = [wrong.subscribe(() => {}), right.subscribe(() => {})];
    cleanups.push(async () => {
      for (const off of offs) off();
    });
    await waitFor(() => wrongLogger.lines.some((line) => line.message.includes("hears none")), {
      description: "the deaf LISTEN connection's warning",
      timeout: "8s",
    });
    expect(wrongLogger.lines.find((line) => line.message.includes("hears none"))).toMatchObject({
      level: "warn",
      fields: { address: expect.stringMatching(/^127\.0\.0\.1:\d+$/) },
    });
    // The other store began listening at the same time: its probe's wait is over too by now.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(rightLogger.lines).toEqual([]);
  }, 15_000);
});
