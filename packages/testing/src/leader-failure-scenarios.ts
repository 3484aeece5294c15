import { type Leader, type Logger, StoreError } from "@sched/core";
import { expect, it, type TestContext } from "vitest";
import { type RecordingLogger, recordingLogger } from "./recording-logger.js";
import { waitFor } from "./wait-for.js";

/** What the leader factory of `leaderConformance` receives. */
export interface LeaderFactoryOptions {
  /** The instance id the leader must report. */
  instanceId: string;
  /** The lease TTL in milliseconds. */
  ttlMs: number;
  /**
   * A name unique to the running test: leaders made for the same test compete for one lease;
   * leaders of different tests must not (use it as the lease name, key or row).
   */
  namespace: string;
  /** Where the leader reports failures: pass it as the leader's `logger` (the failure scenarios read it). */
  logger: Logger;
}

/** A leader made by a failure hook, and what the hook can do to its connection. */
export interface LeaderWithConnection<L extends Leader = Leader> {
  /** The leader, made as the factory would, with the `logger` given. */
  leader: L;
  /** Does to the leader's connection what the hook is named for; resolves once done. */
  act(): Promise<void> | void;
}

/**
 * What a backend provides to cause the failures of {@link leaderConformance}'s failure scenarios.
 * Each scenario runs when the hooks it needs are given, and is reported as skipped, with the
 * missing hook named, otherwise. Every leader a hook makes is closed after its test.
 */
export interface LeaderFailureHooks<L extends Leader = Leader> {
  /**
   * How the leader's errors and logged failures name the server of the factory's leaders, e.g.
   * `"127.0.0.1:5432"`; checked in what a cut connection logs when given.
   */
  address?: string;
  /**
   * Makes a leader whose `act()` cuts its connection for good: afterwards every call fails at once
   * (e.g. end the pool given as its `pool`, disconnect the client given as its `client` without
   * reconnecting).
   */
  cutConnection?: (options: LeaderFactoryOptions) => Promise<LeaderWithConnection<L>>;
  /**
   * Makes a leader whose `act()` kills its idle connections on the server's side (e.g.
   * `pg_terminate_backend`, `CLIENT KILL`) and resolves once the leader's client has noticed; the
   * client reconnects by itself at the next call.
   */
  killIdleConnections?: (options: LeaderFactoryOptions) => Promise<LeaderWithConnection<L>>;
  /**
   * Makes a leader whose `stall()`, called while it leads, holds up the backend's answer to its
   * next call for longer than the TTL (e.g. lock the lease row, queue a blocking command on its
   * connection). `stall()` resolves a function that lets the held call run and resolves once it has.
   */
  stallBackend?: (
    options: LeaderFactoryOptions,
  ) => Promise<{ leader: L; stall(): Promise<() => Promise<void>> }>;
  /**
   * Gives the lease of `namespace`, which `leader` holds, to another holder behind its back,
   * unexpired for at least 10 s. Resolves a check: whether that other holder still holds it.
   */
  stealLease?: (namespace: string, leader: L) => Promise<() => Promise<boolean>>;
  /**
   * Makes a leader whose backend refuses connections (e.g. a URL with port 1), with the `logger`
   * given. `address` is how its errors must name the server (e.g. `"127.0.0.1:1"`); `secret` is
   * the password in its connection settings, which no error or log line may contain.
   */
  refusedLeader?: (
    options: LeaderFactoryOptions,
  ) =>
    | Promise<{ leader: L; address: string; secret: string }>
    | { leader: L; address: string; secret: string };
  /**
   * How many failed acquires the log-throttling scenario makes on a `refusedLeader`: default 40;
   * fewer for a backend whose refused attempts wait for its client's reconnection back-off.
   */
  refusedAttempts?: number;
  /**
   * Whether the leader steps down before its lease expires in the backend (a safety margin on its
   * own clock); default `true`. `false` for a leader that judges the lease by the backend's very
   * clock: the scenario of taking back its own lease at once is then skipped.
   */
  stepsDownBeforeExpiry?: boolean;
}

/** What the failure scenarios need from {@link leaderConformance}. */
export interface FailureScenarioContext<L extends Leader> {
  hooks: LeaderFailureHooks<L>;
  ttlMs: number;
  /** Waited on top of the TTL for a lease to expire in the backend. */
  margin: number;
  namespace(): string;
  /** Makes a leader with the suite's factory, closed after the test. */
  make(instanceId: string, options?: { ttlMs?: number; logger?: RecordingLogger }): Promise<L>;
  /** Closes `leader` after the test, as for leaders from {@link make}. */
  track(leader: L): L;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The level each of `count` consecutive failures is logged at: the first three and every 20th warn. */
function throttledLevels(count: number): Array<"warn" | "debug"> {
  return Array.from({ length: count }, (_, i) => (i + 1 <= 3 || (i + 1) % 20 === 0 ? "warn" : "debug"));
}

/**
 * Defines the failure scenarios of {@link leaderConformance} (inside its `describe` block): what a
 * leader does when its backend becomes unreachable, hangs, loses or gives away its lease.
 */
export function leaderFailureScenarios<L extends Leader>(context: FailureScenarioContext<L>): void {
  const { hooks, ttlMs, margin } = context;

  /** Skips the test, naming the hook the backend did not provide, when `hook` is missing. */
  const needs =
    <T>(hook: T | undefined, name: keyof LeaderFailureHooks<L>, run: (hook: T) => Promise<void>) =>
    async (test: TestContext): Promise<void> => {
      if (hook === undefined) test.skip(`the backend provides no ${name} hook`);
      await run(hook as T);
    };

  const made = async (
    hook: (options: LeaderFactoryOptions) => Promise<LeaderWithConnection<L>>,
    instanceId: string,
    options: { ttlMs?: number; logger?: RecordingLogger } = {},
  ): Promise<LeaderWithConnection<L>> => {
    const result = await hook({
      instanceId,
      ttlMs: options.ttlMs ?? ttlMs,
      namespace: context.namespace(),
      logger: options.logger ?? recordingLogger(),
    });
    context.track(result.leader);
    return result;
  };

  it(
    "steps down at the first failed renewal once its connection is cut; others take over after the TTL",
    needs(hooks.cutConnection, "cutConnection", async (cutConnection) => {
      const logger = recordingLogger();
      const { leader: a, act: cut } = await made(cutConnection, "instance-a", { logger });
      const b = await context.make("instance-b");
      const changes: Array<[boolean, number]> = [];
      a.onLeaderChange((isLeader, term) => changes.push([isLeader, term]));
      expect(await a.acquire()).toBe(true);
      await cut();

      expect(await a.acquire()).toBe(false);
      expect(a.isLeader()).toBe(false);
      expect(changes).toEqual([
        [true, a.term],
        [false, a.term],
      ]);
      expect(logger.lines.map((line) => line.level)).toEqual(["warn"]);
      if (hooks.address !== undefined) expect(JSON.stringify(logger.lines)).toContain(hooks.address);

      // The lease is still a's in the backend until its TTL has passed.
      expect(await b.acquire()).toBe(false);
      await sleep(ttlMs + margin);
      expect(await b.acquire()).toBe(true);
      expect(b.term).toBeGreaterThan(a.term);
    }),
  );

  it(
    "renews on a new connection after its idle connections were killed, keeping its term",
    needs(hooks.killIdleConnections, "killIdleConnections", async (killIdleConnections) => {
      const { leader: a, act: kill } = await made(killIdleConnections, "instance-a", { ttlMs: 10_000 });
      expect(await a.acquire()).toBe(true);
      const term = a.term;
      await kill();
      expect(await a.acquire()).toBe(true);
      expect(a.isLeader()).toBe(true);
      expect(a.term).toBe(term);
    }),
  );

  it(
    "gives up on a renewal that gets no answer within the local lease, and takes its lease back afterwards",
    needs(hooks.stallBackend, "stallBackend", async (stallBackend) => {
      const ttl = 500;
      const logger = recordingLogger();
      const { leader: a, stall } = await stallBackend({
        instanceId: "instance-a",
        ttlMs: ttl,
        namespace: context.namespace(),
        logger,
      });
      context.track(a);
      expect(await a.acquire()).toBe(true);
      const term = a.term;
      const resume = await stall();
      const started = performance.now();
      expect(await a.acquire()).toBe(false);
      // Given up on at the end of the local lease (450 ms), with room for a loaded machine.
      expect(performance.now() - started).toBeLessThan(ttl * 0.9 + 250);
      expect(a.isLeader()).toBe(false);
      // Given up on by the end of the local lease (the TTL less 10%), and reported: by the leader's
      // own bound, or by a bound of the backend's that ends no later (a server-side timeout).
      expect(logger.lines.filter((line) => line.level === "warn")).toHaveLength(1);

      // The renewal may still have run late, extending a's own lease: a takes it back at once.
      await resume();
      expect(await a.acquire()).toBe(true);
      expect(a.term).toBeGreaterThan(term);
    }),
  );

  it(
    "steps down when its lease was taken by another holder, and touches that holder's lease neither by acquire nor by release",
    needs(hooks.stealLease, "stealLease", async (stealLease) => {
      const a = await context.make("instance-a", { ttlMs: 10_000 });
      const changes: boolean[] = [];
      a.onLeaderChange((isLeader) => changes.push(isLeader));
      expect(await a.acquire()).toBe(true);
      const stillStolen = await stealLease(context.namespace(), a);

      expect(await a.acquire()).toBe(false);
      expect(a.isLeader()).toBe(false);
      expect(changes).toEqual([true, false]);
      expect(await a.acquire()).toBe(false);
      await a.release();
      expect(await stillStolen()).toBe(true);
    }),
  );

  it("reports a refused connection by the server's address, never with the password", async (test) => {
    if (hooks.refusedLeader === undefined) test.skip("the backend provides no refusedLeader hook");
    const logger = recordingLogger();
    const { leader, address, secret } = await refused(logger);
    const started = performance.now();
    expect(await leader.acquire()).toBe(false);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(leader.isLeader()).toBe(false);
    expect(logger.lines).toHaveLength(1);
    const logged = JSON.stringify(logger.lines);
    expect(logged).toContain(address);
    expect(logged).toContain("ECONNREFUSED");
    expect(logged).not.toContain(secret);

    // A release may not know whether the last attempt wrote the lease: it tries, and says why it failed.
    const error = await leader.release().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).message).toContain(address);
    expect((error as StoreError).message).not.toContain(secret);
  });

  it("logs the first three failures and every 20th as warnings, the rest at debug", async (test) => {
    if (hooks.refusedLeader === undefined) test.skip("the backend provides no refusedLeader hook");
    const attempts = hooks.refusedAttempts ?? 40;
    const logger = recordingLogger();
    const { leader } = await refused(logger);
    for (let i = 0; i < attempts; i++) expect(await leader.acquire()).toBe(false);
    expect(logger.lines.map((line) => line.level)).toEqual(throttledLevels(attempts));
    expect(logger.lines.map((line) => (line.fields as { failures: number }).failures)).toEqual(
      Array.from({ length: attempts }, (_, i) => i + 1),
    );
  });

  it("a leader that stepped down takes its own unexpired lease back at once, with a higher term", async (test) => {
    if (hooks.stepsDownBeforeExpiry === false) {
      test.skip("the leader's local lease ends with the backend's (stepsDownBeforeExpiry: false)");
    }
    const ttl = 1_000;
    const a = await context.make("instance-a", { ttlMs: ttl });
    const b = await context.make("instance-b", { ttlMs: ttl });
    const changes: Array<[boolean, number]> = [];
    a.onLeaderChange((isLeader, term) => changes.push([isLeader, term]));
    expect(await a.acquire()).toBe(true);
    const first = a.term;
    await waitFor(() => !a.isLeader(), { timeout: ttl * 2 });
    // a no longer leads, and the backend still protects its lease from a takeover.
    expect(await b.acquire()).toBe(false);
    expect(await a.acquire()).toBe(true);
    expect(a.term).toBeGreaterThan(first);
    expect(changes).toEqual([
      [true, first],
      [false, first],
      [true, a.term],
    ]);
  });

  async function refused(logger: RecordingLogger): Promise<{ leader: L; address: string; secret: string }> {
    const made = await (hooks.refusedLeader as NonNullable<LeaderFailureHooks<L>["refusedLeader"]>)({
      instanceId: "instance-a",
      ttlMs: 5_000,
      namespace: context.namespace(),
      logger,
    });
    context.track(made.leader);
    return made;
  }
}
