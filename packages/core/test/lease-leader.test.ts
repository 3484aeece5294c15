import { describe, expect, it } from "vitest";
import { ConfigError } from "../src/errors.js";
import { LeaseLeader, type LeaseLeaderOptions } from "../src/leadership/lease-leader.js";
import { recordingLogger } from "./helpers.js";

/** A lease kept in a variable: enough to drive the common part. */
class VariableLeader extends LeaseLeader {
  holder: string | null = null;
  term_ = 0;
  down = false;
  hang = false;
  /** While set, every call waits for it. */
  gate: Promise<void> | null = null;
  connectionClosed = 0;
  readonly log: string[] = [];

  constructor(options: LeaseLeaderOptions = {}, commandTimeoutMs = 50) {
    super({ kind: "VariableLeader", commandTimeoutMs }, options);
  }

  /** The protected members, for assertions. */
  get settings() {
    return { ttlMs: this.ttlMs, localLeaseMs: this.localLeaseMs };
  }

  private async reach(): Promise<void> {
    if (this.hang) await new Promise<void>(() => {});
    if (this.gate !== null) await this.gate;
    if (this.down) throw new Error("backend down");
  }

  protected async elect(): Promise<number | null> {
    this.log.push("acquire");
    await this.reach();
    if (this.holder !== null) return null;
    this.holder = this.instanceId;
    return ++this.term_;
  }

  protected async reelect(term: number): Promise<number | null> {
    this.log.push("acquire");
    await this.reach();
    return this.holder === this.instanceId && term === this.term_ ? term : null;
  }

  protected async resign(): Promise<void> {
    this.log.push("release");
    if (this.holder === this.instanceId) this.holder = null;
  }

  protected async closeConnection(): Promise<void> {
    this.connectionClosed++;
  }
}

describe("LeaseLeader", () => {
  it("checks the common options and derives the local lease from the TTL", () => {
    const leader = new VariableLeader({ ttl: "10s", name: "jobs", instanceId: "a" });
    expect(leader.settings).toEqual({ ttlMs: 10_000, localLeaseMs: 9_000 });
    expect(leader.name).toBe("jobs");
    expect(new VariableLeader().instanceId).toMatch(/^.+-\d+-[0-9a-f]{8}$/);
    expect(new VariableLeader({ ttl: 1500.7 }).settings.ttlMs).toBe(1500);
    expect(() => new VariableLeader({ ttl: "soon" as never })).toThrow(ConfigError);
    expect(() => new VariableLeader({ ttl: 0.5 })).toThrow(/from 1ms/);
    expect(() => new VariableLeader({ ttl: "30d" })).toThrow(/ttl/);
    expect(() => new VariableLeader({ name: "" })).toThrow(/name/);
    expect(() => new VariableLeader({ instanceId: "a\u0000b" })).toThrow(/instanceId/);
    // A backend rewrites a lone surrogate: "lead\ud800" and "lead\udc00" would share one lease.
    expect(() => new VariableLeader({ name: "lead\ud800" })).toThrow(/name: .*lone surrogate/);
    expect(() => new VariableLeader({ instanceId: "\udc00a" })).toThrow(/instanceId: .*lone surrogate/);
    expect(new VariableLeader({ name: "lead\ud83d\ude00" }).name).toBe("lead\ud83d\ude00");
  });

  it("acquires, renews keeping the term, releases, and tells listeners", async () => {
    const leader = new VariableLeader({ instanceId: "a" });
    const changes: string[] = [];
    leader.onLeaderChange((leads, term) => changes.push(`${leads}:${term}`));
    expect(await leader.acquire()).toBe(true);
    expect(await leader.acquire()).toBe(true);
    expect(leader.term).toBe(1);
    expect(leader.isLeader()).toBe(true);
    await leader.release();
    expect(leader.isLeader()).toBe(false);
    expect(await leader.acquire()).toBe(true);
    expect(leader.term).toBe(2);
    expect(changes).toEqual(["true:1", "false:1", "true:2"]);
  });

  it("logs the first failures, then every 20th, and starts counting again after an answer", async () => {
    const logger = recordingLogger();
    const leader = new VariableLeader({ instanceId: "a", logger });
    leader.down = true;
    for (let i = 0; i < 25; i++) expect(await leader.acquire()).toBe(false);
    const warnings = logger.lines.filter((l) => l.startsWith("warn"));
    expect(warnings.map((l) => JSON.parse(l.slice(l.indexOf("{"))).failures)).toEqual([1, 2, 3, 20]);
    expect(warnings[0]).toContain('VariableLeader "scheduler" could not acquire or renew its lease');
    expect(warnings[0]).toContain("backend down");
    leader.down = false;
    expect(await leader.acquire()).toBe(true);
    leader.down = true;
    await leader.acquire();
    expect(logger.lines.filter((l) => l.startsWith("warn")).at(-1)).toContain('"failures":1');
  });

  it("gives up on a call that does not answer in time", async () => {
    const logger = recordingLogger();
    const leader = new VariableLeader({ instanceId: "a", logger });
    leader.hang = true;
    expect(await leader.acquire()).toBe(false);
    expect(logger.lines.join("\n")).toContain("no answer within 50ms");
  });

  it("runs one operation at a time; close is idempotent, releases, and a closed leader never leads", async () => {
    const leader = new VariableLeader({ instanceId: "a" });
    const results = await Promise.all([leader.acquire(), leader.release(), leader.acquire()]);
    expect(results).toEqual([true, undefined, true]);
    expect(leader.log).toEqual(["acquire", "release", "acquire"]);
    // Closing at once: acquires still queued, before or after it, resolve false.
    const closing = await Promise.all([leader.acquire(), leader.close(), leader.acquire()]);
    expect(closing).toEqual([false, undefined, false]);
    expect(leader.log).toEqual(["acquire", "release", "acquire", "release"]);
    await leader.close();
    await leader.release();
    expect(leader.connectionClosed).toBe(1);
    expect(leader.isLeader()).toBe(false);
    expect(leader.holder).toBeNull();
  });

  it("close() waits at most 0.5 s for a call in flight, and the late answer makes no leader", async () => {
    const leader = new VariableLeader({ instanceId: "a" }, 60_000);
    expect(await leader.acquire()).toBe(true);
    let answer: () => void = () => {};
    leader.gate = new Promise<void>((resolve) => {
      answer = resolve;
    });
    const renewal = leader.acquire();
    // The renewal is sent, and waits for its answer.
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(leader.log).toEqual(["acquire", "acquire"]);
    const started = performance.now();
    await leader.close();
    const closedAfter = performance.now() - started;
    expect(closedAfter).toBeGreaterThanOrEqual(450);
    expect(closedAfter).toBeLessThan(2_500);
    expect(leader.connectionClosed).toBe(1);
    answer();
    expect(await renewal).toBe(false);
    expect(leader.isLeader()).toBe(false);
  });

  it("a logger that throws or returns a rejected promise breaks neither acquire nor close", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on("unhandledRejection", onUnhandled);
    try {
      const rejecting = async (): Promise<void> => {
        throw new Error("async logger failed");
      };
      const throwing = (): void => {
        throw new Error("logger failed");
      };
      for (const logger of [
        { debug: rejecting, info: rejecting, warn: rejecting, error: rejecting },
        { debug: throwing, info: throwing, warn: throwing, error: throwing },
      ]) {
        const leader = new VariableLeader({ instanceId: "a", logger });
        leader.down = true;
        for (let i = 0; i < 4; i++) expect(await leader.acquire()).toBe(false);
        await leader.close();
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("a logger without a method, or whose methods cannot be read, is a ConfigError naming logger", () => {
    const unreadable = Object.defineProperty({}, "debug", {
      get() {
        throw new Error("no");
      },
    });
    for (const logger of ["console", { info() {}, warn() {}, error() {} }, unreadable]) {
      expect(() => new VariableLeader({ logger: logger as never })).toThrow(
        expect.objectContaining({ code: "CONFIG_INVALID", field: "logger" }),
      );
    }
  });
});
