import { describe, expect, it } from "vitest";
import { InvalidArgumentError, PayloadTooLargeError, SchedulerError, toError } from "../src/errors.js";
import { createScheduler, type HandlerFn, type Job, MemoryStore, permanent } from "../src/index.js";
import { uuidv7Generator } from "../src/jobs/ids.js";
import { formatDuration, parseDuration, parseTimeout } from "../src/time/duration.js";
import { checkedJsonPayload } from "../src/validation/payload.js";
import { recordingLogger, setup, turns, until } from "./helpers.js";

describe("durations", () => {
  it.each([
    [500, 500],
    ["500ms", 500],
    ["30s", 30_000],
    ["5m", 300_000],
    ["1h", 3_600_000],
    ["168h", 604_800_000],
    ["1h30m", 5_400_000],
    ["2d", 172_800_000],
    ["1.5s", 1500],
    ["1d2h3m4s5ms", 93_784_005],
    [" 30s ", 30_000],
  ])("parses %s as %i ms", (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it("rejects a string without a unit, suggesting milliseconds or a unit", () => {
    expect(() => parseDuration("250", "timeout")).toThrow(
      /^timeout: "250" has no unit; .*\(250\).*"250ms", "250s"/,
    );
  });

  it.each([
    ["1h1h", /repeats a unit/],
    ["30m1h", /misorders a unit/],
    ["1s500ms1s", /misorders a unit/],
    ["5s5s", /repeats/],
  ])("refuses %s: a unit twice or out of order", (input, message) => {
    expect(() => parseDuration(input, "lockTTL")).toThrow(message);
    expect(() => parseDuration(input, "lockTTL")).toThrow(/^lockTTL: /);
  });

  it.each([["soon"], ["5 minutes"], ["-1s"], [""], ["1h30"], [-1], [Number.NaN], [Number.POSITIVE_INFINITY]])(
    "rejects %s naming the field",
    (input) => {
      expect(() => parseDuration(input as string, "pollInterval")).toThrow(/^pollInterval: /);
    },
  );
});

describe("formatDuration", () => {
  it.each([
    [0, "0ms"],
    [1, "1ms"],
    [450, "450ms"],
    [1000, "1s"],
    [1500, "1.5s"],
    [1050, "1.05s"],
    [60_500, "1m500ms"],
    [61_000, "1m1s"],
    [90_000, "1m30s"],
    [150_000, "2m30s"],
    [3_599_999, "59m59.999s"],
    [3_600_000, "1h"],
    [5_400_000, "1h30m"],
    [90_000_000, "1d1h"],
    [93_784_005, "1d2h3m4.005s"],
    [86_400_000 + 5, "1d5ms"],
    [0.5, "0.5ms"],
  ])("writes %i ms as %s, exactly", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration(text)).toBe(Math.round(ms));
  });

  it("reads back every whole number of ms it writes, never rounded", () => {
    // Spread over the ranges of each unit (a seeded walk: the same values every run).
    let seed = 7;
    for (let i = 0; i < 2000; i++) {
      seed = (seed * 48_271) % 2_147_483_647;
      const ms = seed % (i < 1000 ? 3_600_000 : 40 * 86_400_000);
      expect(parseDuration(formatDuration(ms)), String(ms)).toBe(ms);
    }
  });

  it.each([[-1], [Number.NaN], [Number.POSITIVE_INFINITY]])("refuses %s naming the field", (ms) => {
    expect(() => formatDuration(ms, "rateLimit.per")).toThrow(InvalidArgumentError);
    expect(() => formatDuration(ms, "rateLimit.per")).toThrow(/^rateLimit\.per: /);
  });
});

describe("job timeouts", () => {
  it("are whole milliseconds, rounded up, wherever they are given", async () => {
    expect(parseTimeout(1.5)).toBe(2);
    expect(parseTimeout("0.0015s")).toBe(2);
    expect(parseTimeout(Number.MAX_SAFE_INTEGER)).toBe(Number.MAX_SAFE_INTEGER);
    const { s } = setup({ defaultTimeout: 2.2 });
    s.register("named", async () => {}, { timeout: 0.5 });
    const [own, handlers, fallback] = await s.enqueueMany([
      { name: "named", timeout: 10.01 },
      { name: "named" },
      { name: "other" },
    ]);
    expect([own?.timeout, handlers?.timeout, fallback?.timeout]).toEqual([11, 1, 3]);
  });

  it("longer than 2^53 - 1 ms are refused, naming the field", async () => {
    // Strings too, from their exact value (parseDuration rounds them to the nearest ms).
    expect([parseTimeout("1.4ms"), parseTimeout("0.0015s"), parseTimeout("2ms")]).toEqual([2, 2, 2]);
    expect(parseDuration("1.4ms")).toBe(1);
    expect(() => parseTimeout(2 ** 53, "timeout")).toThrow(/^timeout: expected at most 9007199254740991 ms/);
    const { s } = setup();
    await expect(s.enqueue({ name: "x", timeout: 1e21 })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      field: "job.timeout",
    });
    expect(() => s.register("x", async () => {}, { timeout: 2 ** 63 })).toThrow(InvalidArgumentError);
    expect(() => setup({ defaultTimeout: 1e300 })).toThrow(/defaultTimeout: expected at most/);
  });
});

describe("payloads", () => {
  it("accepts JSON values", () => {
    expect(() => checkedJsonPayload({ a: [1, "x", null, true, { b: 2.5 }], ü: "✓" }, 1000)).not.toThrow();
    expect(() => checkedJsonPayload(null, 10)).not.toThrow();
  });

  it.each([
    [{ when: new Date() }, /payload.when: a Date is not JSON-serialisable.*toISOString/],
    [{ f: () => 1 }, /payload.f: a function is not JSON-serialisable/],
    [{ n: Number.NaN }, /payload.n: NaN is not JSON-serialisable/],
    [{ big: 1n }, /payload.big: a bigint/],
    [{ u: undefined }, /payload.u: is undefined/],
    [{ m: new Map() }, /payload.m: a Map/],
    [[1, Symbol("s")], /payload\[1\]: a symbol/],
  ])("rejects %o naming the path", (payload, message) => {
    expect(() => checkedJsonPayload(payload, 0)).toThrow(message);
  });

  it("rejects cycles", () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    expect(() => checkedJsonPayload(a, 0)).toThrow(/payload.self: is a circular reference/);
  });

  it("names the path after arrays and siblings it has left, and a shared (not circular) object passes", () => {
    const shared = { k: 1 };
    expect(() => checkedJsonPayload({ a: [shared, [shared]], b: shared }, 0)).not.toThrow();
    expect(() => checkedJsonPayload({ a: [1, [2, { c: 3 }]], b: { c: [0, Number.NaN] } }, 0)).toThrow(
      /^payload\.b\.c\[1\]: NaN/,
    );
    expect(() => checkedJsonPayload({ a: { "bad\u0000key": 1 } }, 0)).toThrow(
      /^payload\.a key "bad\\u0000key"/,
    );
    expect(() => checkedJsonPayload([{ x: "ok" }, { y: "\ud800" }], 0)).toThrow(
      /^payload\[1\]\.y: contains a lone/,
    );
    expect(() => checkedJsonPayload([0, -0], 0)).toThrow(/^payload\[1\]: is -0/);
    const deep: unknown[] = [];
    let at = deep;
    for (let i = 0; i < 100; i++) {
      const inner: unknown[] = [];
      at[0] = inner;
      at = inner;
    }
    expect(() => checkedJsonPayload(deep, 0)).toThrow(/nested deeper than 100/);
  });

  it("refuses nesting past the limit made of a value checked earlier higher up (after 1,000 containers it is remembered)", () => {
    // levels[i] is i + 1 arrays deep; levels[99] is the deepest allowed on its own.
    const levels: unknown[][] = [[]];
    for (let i = 1; i < 1000; i++) levels.push([levels[i - 1]]);
    const filler = Array.from({ length: 1001 }, () => []);
    expect(() => checkedJsonPayload([filler, levels[98]], 0)).not.toThrow();
    expect(() => checkedJsonPayload([filler, levels[99]], 0)).toThrow(/is nested deeper than 100/);
    expect(() => checkedJsonPayload([filler, ...levels], 0)).toThrow(/is nested deeper than 100/);
    // Checked first at the top, then met again deeper down.
    const shared = levels[50] as unknown[];
    let wrapped: unknown = shared;
    for (let i = 0; i < 60; i++) wrapped = [wrapped];
    expect(() => checkedJsonPayload([filler, shared, wrapped], 0)).toThrow(/is nested deeper than 100/);
    expect(() => checkedJsonPayload([filler, shared, [[shared]]], 0)).not.toThrow();
  });

  it("measures the exact size whenever its bound could exceed the limit", () => {
    // Each control character takes 6 bytes of JSON (\u0001): 20 of them are 122 bytes.
    const escaped = "\u0001".repeat(20);
    expect(JSON.stringify({ s: escaped }).length).toBe(128);
    expect(() => checkedJsonPayload({ s: escaped }, 127)).toThrow(/128 bytes.*over the limit of 127/);
    expect(() => checkedJsonPayload({ s: escaped }, 128)).not.toThrow();
    expect(() => checkedJsonPayload(escaped, 121)).toThrow(PayloadTooLargeError);
    expect(() => checkedJsonPayload(escaped, 122)).not.toThrow();
    // Numbers at their longest, and keys, count as their JSON does.
    const numbers = { longest: -1.2345678901234567e-308, k: [1e21, 5e-324, -0.0000012345678901234567] };
    // The longest number there is: every one of an array counts in full.
    const longest = Array(1_000).fill(-0.0000012345678901234567);
    const longestSize = JSON.stringify(longest).length;
    expect(longestSize).toBe(2 + 1_000 * 25 + 999);
    expect(() => checkedJsonPayload(longest, longestSize - 1)).toThrow(PayloadTooLargeError);
    expect(() => checkedJsonPayload(longest, longestSize)).not.toThrow();
    const size = JSON.stringify(numbers).length;
    expect(() => checkedJsonPayload(numbers, size - 1)).toThrow(PayloadTooLargeError);
    expect(() => checkedJsonPayload(numbers, size)).not.toThrow();
  });

  it("names keys that are not identifiers in brackets, so no two paths read alike", () => {
    expect(() => checkedJsonPayload({ "a.b": Number.NaN }, 0)).toThrow(/^payload\["a\.b"\]: NaN/);
    expect(() => checkedJsonPayload({ a: { b: Number.NaN } }, 0)).toThrow(/^payload\.a\.b: NaN/);
    expect(() => checkedJsonPayload({ "": [Number.NaN] }, 0)).toThrow(/^payload\[""\]\[0\]: NaN/);
    expect(() => checkedJsonPayload({ 'q"x': { $ok_1: null, "1st": new Map() } }, 0)).toThrow(
      /^payload\["q\\"x"\]\["1st"\]: a Map/,
    );
  });

  it("size-checks a payload that is a bare number or boolean", () => {
    expect(() => checkedJsonPayload(-0.0000012345678901234567, 24)).toThrow(/25 bytes.*over the limit of 24/);
    expect(() => checkedJsonPayload(-0.0000012345678901234567, 25)).not.toThrow();
    expect(() => checkedJsonPayload(false, 4)).toThrow(/5 bytes.*over the limit of 4/);
    expect(() => checkedJsonPayload(12, 4)).not.toThrow();
  });

  it("stops at the limit on a value shared under many keys, whose JSON doubles with each level", () => {
    // 60 levels of { a: x, b: x }: JSON of 2^60 copies; checking (or writing) it in full never ends.
    let shared: Record<string, unknown> = { leaf: "x" };
    for (let i = 0; i < 60; i++) shared = { a: shared, b: shared };
    let error: unknown;
    try {
      checkedJsonPayload(shared, 1024 * 1024);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect(error).toMatchObject({ code: "PAYLOAD_TOO_LARGE", atLeast: true, limit: 1024 * 1024 });
    expect((error as PayloadTooLargeError).size).toBeGreaterThan(1024 * 1024);
    expect((error as Error).message).toMatch(/^payload is over the limit of 1048576 bytes as JSON/);
    // A few shared levels within the limit pass, as their JSON does.
    let small: Record<string, unknown> = { leaf: "x" };
    for (let i = 0; i < 8; i++) small = { a: small, b: small };
    expect(() => checkedJsonPayload(small, JSON.stringify(small).length)).not.toThrow();
  });

  it("stops as soon as a string shared under many places passes the limit", () => {
    const big = "x".repeat(1 << 20);
    let error: unknown;
    try {
      checkedJsonPayload(new Array(600).fill(big), 1024 * 1024);
    } catch (err) {
      error = err;
    }
    // Not a full JSON.stringify of 600 MiB (which failed as "could not be read").
    expect(error).toMatchObject({ code: "PAYLOAD_TOO_LARGE", atLeast: true });
  });

  it("checks a value shared at every level once, with no limit too, and counts it once per place", () => {
    let shared: Record<string, unknown> = { leaf: "x" };
    for (let i = 0; i < 40; i++) shared = { a: shared, b: shared };
    // No limit (0): checked, not walked 2^40 times; its JSON (2^40 copies) is longer than any
    // string JavaScript can hold, so no store could write it: refused all the same.
    expect(() => checkedJsonPayload(shared, 0)).toThrow(
      expect.objectContaining({ code: "PAYLOAD_TOO_LARGE", atLeast: true, limit: 2 ** 29 - 24 }),
    );
    let fits: Record<string, unknown> = { leaf: "x" };
    for (let i = 0; i < 16; i++) fits = { a: fits, b: fits };
    expect(() => checkedJsonPayload(fits, 0)).not.toThrow();
    let bad: Record<string, unknown> = { leaf: Number.NaN };
    for (let i = 0; i < 40; i++) bad = { a: bad, b: bad };
    expect(() => checkedJsonPayload(bad, 0)).toThrow(/NaN is not JSON-serialisable/);
    // 12 shared levels (4,096 copies of the leaf as JSON): the remembered parts count as written.
    let counted: Record<string, unknown> = { leaf: "é", n: [1, 2] };
    for (let i = 0; i < 12; i++) counted = { a: counted, b: [counted] };
    const size = Buffer.byteLength(JSON.stringify(counted), "utf8");
    expect(() => checkedJsonPayload(counted, size)).not.toThrow();
    expect(() => checkedJsonPayload(counted, size - 1)).toThrow(PayloadTooLargeError);
  });

  it("metadata over its limit is refused as soon as its count passes the limit", async () => {
    const { s } = setup({ maxMetadataBytes: 16 * 1024 });
    const metadata = Object.fromEntries(
      Array.from({ length: 20 }, (_, i) => [`k${i}`, `${"x".repeat(1 << 20)}${i}`]),
    );
    await expect(s.enqueue({ name: "j", metadata })).rejects.toMatchObject({
      code: "PAYLOAD_TOO_LARGE",
      atLeast: true,
      field: "job.metadata",
    });
    // At the limit exactly it passes; one byte over it does not.
    const exact = { k: "x".repeat(100) };
    const size = JSON.stringify(exact).length;
    const { s: atLimit } = setup({ maxMetadataBytes: size });
    await expect(atLimit.enqueue({ name: "j", metadata: exact })).resolves.toMatchObject({ metadata: exact });
    const { s: under } = setup({ maxMetadataBytes: size - 1 });
    await expect(under.enqueue({ name: "j", metadata: exact })).rejects.toMatchObject({
      code: "PAYLOAD_TOO_LARGE",
    });
  });

  it("enforces the size limit in bytes", () => {
    expect(() => checkedJsonPayload({ s: "x".repeat(100) }, 50)).toThrow(PayloadTooLargeError);
    expect(() => checkedJsonPayload("é".repeat(30), 50)).toThrow(/over the limit of 50 bytes/);
    expect(() => checkedJsonPayload({ s: "x".repeat(10) }, 50)).not.toThrow();
  });

  it("enqueue rejects a bad payload, a bad field or an oversized payload and stores nothing", async () => {
    const { s } = setup({ maxPayloadBytes: 100 });
    await expect(s.enqueue({ name: "j", payload: { at: new Date() } })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      message: expect.stringMatching(/job.payload.at/),
    });
    await expect(s.enqueue({ name: "j", payload: "x".repeat(200) })).rejects.toMatchObject({
      code: "PAYLOAD_TOO_LARGE",
    });
    await expect(s.enqueue({ name: "j", priority: 1.5 })).rejects.toThrow(/priority/);
    await expect(s.enqueue({ name: "j", maxRetries: -1 })).rejects.toThrow(/maxRetries/);
    await expect(s.enqueue({ name: "j", delay: "later" as never })).rejects.toThrow(/job.delay/);
    await expect(s.enqueue({ name: "j", runAt: new Date("x") })).rejects.toThrow(/runAt/);
    await expect(s.enqueue({ name: "j", metadata: { n: 1 as unknown as string } })).rejects.toThrow(
      /metadata.n/,
    );
    await expect(s.enqueue({ name: "j", uniqueKey: "" })).rejects.toThrow(/uniqueKey/);
    await expect(s.enqueue({ name: "" })).rejects.toThrow(/name/);
    await expect(s.enqueue({ name: "j", queue: "a b" })).rejects.toThrow(/queue/);
    // A dot segment cannot be named by a URL path (the HTTP API, the dashboard): refused up front.
    for (const name of [".", "..", "../..", "x/../y", "a/./b", "./a", "a/..", "a/b/."]) {
      await expect(s.enqueue({ name: "j", queue: name })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
      await expect(s.enqueue({ name })).rejects.toThrow(/between slashes/);
    }
    // Dots inside a part are fine.
    for (const queue of ["a.b", "...", "x/.y", "v1.2/emails", ".hidden"]) {
      expect((await s.enqueue({ name: "j", queue })).queue).toBe(queue);
    }
    await expect(s.enqueueMany([{ name: "ok" }, { name: "j", payload: () => 1 }])).rejects.toThrow(
      /jobs\[1\].payload/,
    );
    expect((await s.listJobs()).jobs.map((job) => job.queue).sort()).toEqual(
      ["...", ".hidden", "a.b", "v1.2/emails", "x/.y"].sort(),
    );
  });

  it("every other bad input is INVALID_ARGUMENT naming its field, never a plain error", async () => {
    const { s } = setup();
    const throwingGetter = Object.defineProperty({}, "x", {
      enumerable: true,
      get() {
        throw new Error("getter failed");
      },
    });
    const throwingProxy = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error("trap failed");
        },
      },
    );
    const throwingJob = Object.defineProperty({ name: "j" }, "priority", {
      enumerable: true,
      get() {
        throw new Error("field getter failed");
      },
    });
    const cases: Array<[unknown, RegExp]> = [
      [{ name: "j", payload: throwingGetter }, /^job\.payload: could not be read/],
      [{ name: "j", payload: { a: throwingProxy } }, /^job\.payload: could not be read/],
      [{ name: "j", payload: { [Symbol("s")]: 1, a: 1 } }, /^job\.payload: has a symbol key/],
      // A getter that throws is named by its field.
      [throwingJob, /^job\.priority: could not be read/],
      [{ name: "j", priority: -0 }, /^job\.priority:/],
      [{ name: "j", maxRetries: -0 }, /^job\.maxRetries:/],
      [{ name: "j", runAt: new Date(8.64e15) }, /^job\.runAt: makes a run time outside the years 1 to 9999/],
      [{ name: "j", runAt: new Date(Date.UTC(-1, 0, 1)) }, /^job\.runAt:/],
      [{ name: "j", delay: 1e20 }, /^job\.delay: makes a run time outside/],
    ];
    for (const [job, message] of cases) {
      const error = await s.enqueue(job as never).catch((err: unknown) => err);
      expect(error, String(message)).toBeInstanceOf(InvalidArgumentError);
      expect((error as Error).message).toMatch(message);
    }
    // The first and last milliseconds of the years 1 to 9999 are run times every store keeps.
    const latest = new Date(Date.UTC(9999, 11, 31, 23, 59, 59, 999));
    expect((await s.enqueue({ name: "j", runAt: latest })).scheduledAt).toEqual(latest);
    const earliest = new Date("0001-01-01T00:00:00.000Z");
    expect((await s.enqueue({ name: "j", runAt: earliest })).scheduledAt).toEqual(earliest);
    await expect(s.enqueue({ name: "j", runAt: new Date(earliest.getTime() - 1) })).rejects.toThrow(
      /job\.runAt/,
    );
    expect(() => setup({ distributed: { instanceId: "a\u0000b" } })).toThrow(
      expect.objectContaining({ code: "CONFIG_INVALID", field: "distributed.instanceId" }),
    );
  });

  it("a getter that throws is named by its path: a job's field, a metadata key, a dedupe field", async () => {
    const { s } = setup();
    const throwing = (key: string, base: Record<string, unknown> = {}) =>
      Object.defineProperty(base, key, {
        enumerable: true,
        get() {
          throw new Error("secret");
        },
      });
    for (const [job, field] of [
      [throwing("queue", { name: "x" }), "job.queue"],
      [throwing("payload", { name: "x" }), "job.payload"],
      [{ name: "x", metadata: throwing("tenant") }, "job.metadata.tenant"],
      [{ name: "x", metadata: throwing("a b") }, 'job.metadata["a b"]'],
      [{ name: "x", dedupe: throwing("key", { ttl: "1s" }) }, "job.dedupe.key"],
    ] as const) {
      const error = await s.enqueue(job as never).catch((err: unknown) => err);
      expect(error).toMatchObject({ code: "INVALID_ARGUMENT", field });
      expect((error as Error).message).not.toContain("secret");
    }
    const many = await s
      .enqueueMany([throwing("dedupe", { name: "x" })] as never)
      .catch((err: unknown) => err);
    expect(many).toMatchObject({ code: "INVALID_ARGUMENT", field: "jobs[0].dedupe" });
  });

  it("a key, id or expression taken from input cannot break the line of the error that names it", async () => {
    const { s } = setup();
    const unsafe = /[\n\r\u2028\u2029\u202e]/;
    const refusals: Error[] = [];
    const refused = async (call: () => Promise<unknown>) => {
      const error = await call().then(
        () => new Error("accepted"),
        (err: unknown) => err as Error,
      );
      refusals.push(error);
      return error;
    };
    for (const id of ["abc\n2026-01-01 ERROR forged", "a\r\nb", "a\u2028b", "a\u202eb"]) {
      const error = await refused(() => s.cancel(id));
      expect(error).toMatchObject({ code: "JOB_NOT_FOUND" });
    }
    const metadata = await refused(() => s.enqueue({ name: "x", metadata: { "k\nforged": 1 as never } }));
    expect(metadata).toMatchObject({ field: 'job.metadata["k\\nforged"]' });
    const mode = await refused(() =>
      s.enqueue({ name: "x", dedupe: { key: "k", ttl: "1s", mode: "x\ny" as never } }),
    );
    expect(mode).toMatchObject({ field: "job.dedupe.mode" });
    const cron = await refused(() => s.schedule("x", "* * * * \u2028FORGED", () => {}));
    expect(cron).toMatchObject({ code: "INVALID_SCHEDULE" });
    expect(cron.message).toContain("\\u2028");
    for (const error of refusals) {
      expect(error.message, error.message).not.toMatch(unsafe);
      expect((error as { field?: string }).field ?? "").not.toMatch(unsafe);
    }
  });

  it("a job cannot carry @sched's own metadata (sched.*): it would pass for a schedule's tick", async () => {
    const { s } = setup();
    for (const key of ["sched.schedule", "sched.tick", "sched.origin", "sched.other"]) {
      await expect(
        s.enqueue({ name: "tick", delay: "1h", metadata: { [key]: "tick" } }),
      ).rejects.toMatchObject({
        code: "INVALID_ARGUMENT",
        field: `job.metadata["${key}"]`,
      });
      await expect(
        s.enqueueMany([{ name: "a" }, { name: "tick", metadata: { team: "ops", [key]: "tick" } }]),
      ).rejects.toMatchObject({ field: `jobs[1].metadata["${key}"]` });
    }
    expect((await s.listJobs({})).jobs).toEqual([]);
    await expect(s.enqueue({ name: "tick", metadata: { "schedule.sched": "x" } })).resolves.toMatchObject({
      metadata: { "schedule.sched": "x" },
    });
  });

  it("stores the payload as checked: each property is read once, and later changes do not reach the store", async () => {
    const { s } = setup();
    // A getter that answers small to the check and large to anything that reads it again.
    let reads = 0;
    const twoFaced = Object.defineProperty({}, "body", {
      enumerable: true,
      get() {
        reads++;
        return reads === 1 ? "small" : "x".repeat(2 * 1024 * 1024);
      },
    });
    const first = await s.enqueue({ name: "j", payload: twoFaced });
    expect(reads).toBe(1);
    expect(first.payload).toEqual({ body: "small" });
    expect((await s.getJob(first.id))?.payload).toEqual({ body: "small" });

    // A proxy whose array changes length between reads.
    let lengthReads = 0;
    const growing = new Proxy([1, 2], {
      get(target, key, receiver) {
        if (key === "length") return ++lengthReads === 1 ? 2 : 200_000;
        return Reflect.get(target, key, receiver);
      },
    });
    const second = await s.enqueue({ name: "j", payload: { list: growing } });
    expect((await s.getJob(second.id))?.payload).toEqual({ list: [1, 2] });

    // A toJSON that the check cannot see (not enumerable) is not what gets stored.
    const hiddenToJson = Object.defineProperty({ a: 1 }, "toJSON", {
      enumerable: false,
      value: () => ({ a: "x".repeat(2 * 1024 * 1024) }),
    });
    const third = await s.enqueue({ name: "j", payload: { nested: hiddenToJson } });
    expect(third.payload).toEqual({ nested: { a: 1 } });
    expect((await s.getJob(third.id))?.payload).toEqual({ nested: { a: 1 } });

    // The caller changes the payload while the insert is out (an enqueue middleware awaits).
    const slow = Object.assign((next: HandlerFn) => next, {
      wrapEnqueue: async (_jobs: unknown, insert: () => Promise<Job[]>): Promise<Job[]> => {
        await turns(2);
        return insert();
      },
    });
    s.use(slow);
    const payload = { to: "a@example.com", tags: ["x"] };
    const pending = s.enqueue({ name: "j", payload });
    payload.to = "b@example.com";
    payload.tags.push("y");
    const fourth = await pending;
    expect(fourth.payload).toEqual({ to: "a@example.com", tags: ["x"] });
    expect((await s.getJob(fourth.id))?.payload).toEqual({ to: "a@example.com", tags: ["x"] });
  });

  it("the checked copy keeps an own __proto__ key as data and shares nothing with the input", () => {
    const input = JSON.parse('{"__proto__": {"polluted": true}, "a": [{"b": 1}]}') as Record<string, unknown>;
    const copy = checkedJsonPayload(input, 0) as Record<string, unknown>;
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy)).toEqual(["__proto__", "a"]);
    expect(JSON.stringify(copy)).toBe(JSON.stringify(input));
    expect(copy.a).not.toBe(input.a);
    expect((copy.a as unknown[])[0]).not.toBe((input.a as unknown[])[0]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // Many places holding one object: the copy's JSON is the input's, once per place.
    const shared = { v: "s" };
    const many = Array.from({ length: 3000 }, () => shared);
    expect(JSON.stringify(checkedJsonPayload(many, 0))).toBe(JSON.stringify(many));
  });

  it("rejects unknown job names when strictHandlers is on", async () => {
    const { s } = setup({ strictHandlers: true });
    await expect(s.enqueue({ name: "ghost" })).rejects.toMatchObject({ code: "UNKNOWN_HANDLER" });
    s.register("ghost", () => {});
    await expect(s.enqueue({ name: "ghost" })).resolves.toMatchObject({ name: "ghost" });
  });

  it("warns when a name's handler is replaced by another one, register or schedule alike", async () => {
    const { s, logger } = setup();
    const replaced = () => logger.lines.filter((line) => line.includes("was replaced by another one"));
    const first = () => {};
    s.register("report", first);
    s.register("report", first, { maxRetries: 1 });
    expect(replaced()).toEqual([]);
    s.register("report", () => {});
    expect(replaced()).toHaveLength(1);
    expect(replaced()[0]).toMatch(/^warn the handler of "report" was replaced/);
    await s.schedule("report", "0 * * * *", () => {});
    expect(replaced()).toHaveLength(2);
    await s.stop({ timeout: 0 });
  });

  it("register rejects handlers that are not functions", () => {
    const { s } = setup();
    expect(() => s.register("x", 42 as never)).toThrow(InvalidArgumentError);
    expect(() => s.register("x", () => {}, { maxRetries: -2 })).toThrow(/maxRetries/);
    expect(() => s.use("nope" as never)).toThrow(/middleware/);
  });
});

describe("errors", () => {
  it("every error has a stable code and keeps its cause", () => {
    const cause = new Error("root");
    const err = new SchedulerError("X_CODE", "msg", { cause });
    expect(err.code).toBe("X_CODE");
    expect(err.cause).toBe(cause);
    expect(err.name).toBe("SchedulerError");
    expect(toError("s").message).toBe("s");
    expect(toError(cause)).toBe(cause);
    const cyclic: Record<string, unknown> = {};
    cyclic.me = cyclic;
    expect(toError(cyclic).message).toContain("non-Error thrown");
  });
});

describe("ids", () => {
  it("makes version 7 UUIDs that sort in creation order, even within a millisecond", () => {
    const next = uuidv7Generator(() => 1_700_000_000_000);
    const ids = Array.from({ length: 1000 }, next);
    expect(new Set(ids).size).toBe(1000);
    expect([...ids].sort()).toEqual(ids);
    expect(ids[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it("keeps ids ordered when the clock goes backwards", () => {
    let t = 2_000;
    const next = uuidv7Generator(() => t);
    const a = next();
    t = 1_000;
    const b = next();
    expect(b > a).toBe(true);
  });
});

describe("ids an idGenerator makes", () => {
  it.each([
    ["an empty string", ""],
    ["201 characters", "a".repeat(201)],
    ["a number", 5],
    ["undefined", undefined],
    ["U+0000", "a\u0000b"],
    ["a lone surrogate", "a\ud800"],
    ["a dead letter's id", "v:dead:1"],
    ["a slash", "tenant/42"],
    ["a percent sign", "50%"],
    ["a line feed", "a\nb"],
    ["a C1 control", "a\u0085b"],
    ["..", ".."],
  ])("refuses %s before any store sees it: INVALID_ARGUMENT naming idGenerator", async (_, id) => {
    // Such ids were stored, and then no lookup could reach their jobs (the stores kept them
    // differently: 5 or "5", U+FFFD for the surrogate); "v:dead:1" took another job's dead letter.
    const { s, store } = setup({ idGenerator: () => id as string });
    const refused = await s.enqueue({ name: "x", delay: "1h" }).then(
      () => null,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(InvalidArgumentError);
    expect(refused).toMatchObject({ code: "INVALID_ARGUMENT", field: "idGenerator" });
    await expect(s.enqueueMany([{ name: "x" }, { name: "y" }])).rejects.toMatchObject({
      field: "idGenerator",
    });
    expect((await store.listJobs({})).jobs).toEqual([]);
  });

  it("takes any other id, and a dead letter of a 200-character id is found by its longer id", async () => {
    const id = "j".repeat(200);
    const ids = [id, "dead:1", "a:dead:x", "ünïcödé.ok"];
    const s = createScheduler({
      store: new MemoryStore(),
      logger: recordingLogger(),
      pollInterval: "10ms",
      idGenerator: () => ids.shift() as string,
    });
    s.register("x", async () => {
      throw permanent(new Error("no"));
    });
    s.register("dead", async () => {});
    const job = await s.enqueue({ name: "x" });
    expect(job.id).toBe(id);
    for (const other of ["dead:1", "a:dead:x", "ünïcödé.ok"]) {
      expect((await s.enqueue({ name: "later", delay: "1h" })).id).toBe(other);
    }
    await s.start();
    await until(async () => (await s.getJob(id))?.status === "dead");
    await until(async () => (await s.getJob(`${id}:dead:1`)) !== null);
    expect((await s.getJob(`${id}:dead:1`))?.name).toBe("dead");
    // A page may end on the dead letter's id (207 characters): its cursor is taken, both ways.
    for (const order of ["asc", "desc"] as const) {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await s.listJobs({ limit: 1, order, ...(cursor === undefined ? {} : { cursor }) });
        seen.push(...page.jobs.map((j) => j.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);
      expect(new Set(seen).size, order).toBe(5);
      expect(seen, order).toContain(`${id}:dead:1`);
    }
    await s.stop({ timeout: 0 });
  });
});

describe("fractions and -0 in a job's times", () => {
  it("a delay is kept to the nearest ms, as its string is, and the status follows the rounded instant", async () => {
    const { s, clock } = setup();
    const now = clock.now();
    for (const [delay, after, status] of [
      [0.4, 0, "pending"],
      [0.999, 1, "scheduled"],
      [1.5, 2, "scheduled"],
      ["1.5ms", 2, "scheduled"],
      [-0, 0, "pending"],
    ] as const) {
      const job = await s.enqueue({ name: "x", delay });
      expect(job.scheduledAt.getTime() - now, String(delay)).toBe(after);
      expect(job.status, String(delay)).toBe(status);
    }
  });

  it("a timeout of -0 is 0 (none), as every store returns it", async () => {
    const { s } = setup();
    const job = await s.enqueue({ name: "x", timeout: -0 });
    expect(Object.is(job.timeout, 0)).toBe(true);
    expect(Object.is((await s.getJob(job.id))?.timeout, 0)).toBe(true);
    expect(Object.is(parseDuration(-0), 0)).toBe(true);
  });
});
