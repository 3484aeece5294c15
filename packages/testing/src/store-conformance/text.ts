import { MAX_ERROR_LENGTH } from "@sched/core";
import { JobAlreadyExistsError } from "@sched/core/adapter";
import { describe, expect, it } from "vitest";
import {
  at,
  claimAt,
  createRunningJob,
  expectSchedulerError,
  mustGet,
  newJob,
  newSchedule,
  refOf,
  rejectionOf,
  type StoreSuiteContext,
  T0,
} from "./fixtures.js";

/**
 * Strings that every store must keep exactly. The runtime refuses only U+0000 and lone surrogates
 * (see docs/architecture.md §5); everything else a user may pass is stored and returned unchanged.
 */
export const TRICKY_STRINGS: readonly string[] = [
  "",
  "plain",
  "quote \" apostrophe ' backslash \\ slash / backtick `",
  "newline\nreturn\rtab\tformfeed\fbackspace\b",
  "\u0001\u0002\u001f\u007f control characters",
  "emoji 🎉👩‍👩‍👧 and astral 𝄞",
  "\u2028 line and \u2029 paragraph separators",
  "bidi \u202e reversed \u202c and zero width \u200b joiner \u200d",
  "U+FFFF \uffff U+FFFE \ufffe replacement \ufffd BOM \ufeff",
  "lua magic % ( ) . [ ] * + - ? ^ $ and format %s %d %q",
  "sql ' OR 1=1; DROP TABLE jobs; -- $1 $$ E'\\x00'",
  'json {"a":[1,2]} and escapes \\u0000 \\ud800 (as text)',
  "{braces} {hash:tag} *glob* ?[a-z]",
  "combining e\u0301 vs \u00e9, Ångström, 日本語, العربية, עברית",
  "x".repeat(10_000),
];

/** Every store keeps what a user passes, and records every outcome (docs/architecture.md §5). */
export function describeText(ctx: StoreSuiteContext): void {
  describe("strings and values kept unchanged", () => {
    it("payload strings, object keys and values of every kind round-trip unchanged", async () => {
      const { store } = ctx;
      const payload = {
        strings: TRICKY_STRINGS,
        keyed: Object.fromEntries(TRICKY_STRINGS.slice(0, 14).map((s, i) => [s, i])),
        numbers: [0, 1, -1, 0.1, 1e21, 1e-7, 5e-324, 1.7976931348623157e308, 2 ** 53 + 2, -123.456e-10],
        nested: { a: [{ b: [[[{ c: null }]]] }], t: true, f: false },
        protoKey: JSON.parse('{"__proto__": {"x": 1}, "constructor": "c"}') as unknown,
        emptyObject: {},
        emptyArray: [],
      };
      const [created] = await store.createJobs([newJob({ payload })]);
      const stored = await mustGet(store, created!.id);
      expect(stored.payload).toEqual(payload);
      expect(JSON.stringify(stored.payload)).toBe(JSON.stringify(payload));
      expect(Object.keys((stored.payload as { protoKey: object }).protoKey)).toEqual([
        "__proto__",
        "constructor",
      ]);
      const [claimed] = await store.claimDueJobs(claimAt(T0));
      expect(claimed!.payload).toEqual(payload);
    });

    it("top-level string, number, boolean and null payloads round-trip unchanged", async () => {
      const { store } = ctx;
      const payloads = [TRICKY_STRINGS[6]!, 42.5, true, false, null, "", 0];
      const created = await store.createJobs(payloads.map((payload) => newJob({ payload })));
      for (const [i, job] of created.entries())
        expect((await mustGet(store, job.id)).payload).toEqual(payloads[i]);
    });

    it("metadata keys and values and unique keys round-trip unchanged", async () => {
      const { store } = ctx;
      const metadata = Object.fromEntries(
        TRICKY_STRINGS.slice(1, 14).map((s, i) => [s, TRICKY_STRINGS[(i + 3) % 14]!]),
      );
      const keys = TRICKY_STRINGS.slice(1, 14);
      const created = await store.createJobs(keys.map((uniqueKey) => newJob({ uniqueKey, metadata })));
      for (const [i, job] of created.entries()) {
        const stored = await mustGet(store, job.id);
        expect(stored.uniqueKey).toBe(keys[i]);
        expect(stored.metadata).toEqual(metadata);
        expect(JSON.stringify(stored.metadata)).toBe(JSON.stringify(metadata));
      }
      // Each key is held exactly as given: the same keys again all conflict.
      for (const uniqueKey of keys) {
        expectSchedulerError(
          await rejectionOf(() => store.createJobs([newJob({ uniqueKey })])),
          JobAlreadyExistsError,
          "JOB_ALREADY_EXISTS",
          { uniqueKey },
        );
      }
    });

    it("unique keys that differ only in case, normalisation or a trailing space are different keys", async () => {
      const keys = ["Key", "key", "KEY", "key ", " key", "\u00e9", "e\u0301", "ﬁ", "fi", "🎉", "🎊"];
      const created = await ctx.store.createJobs(keys.map((uniqueKey) => newJob({ uniqueKey })));
      expect(created.map((job) => job.uniqueKey)).toEqual(keys);
    });

    it("a schedule's definition, with its job template's payload and metadata, round-trips unchanged", async () => {
      const { store } = ctx;
      const schedule = newSchedule("tricky");
      schedule.definition.job.payload = { z: TRICKY_STRINGS, a: { y: 1, b: [true, null] }, m: 1e21 };
      schedule.definition.job.metadata = { zeta: TRICKY_STRINGS[5]!, alpha: TRICKY_STRINGS[9]! };
      await store.saveSchedule(schedule);
      const stored = await store.getSchedule("tricky");
      expect(stored).toEqual(schedule);
      expect(JSON.stringify(stored!.definition)).toBe(JSON.stringify(schedule.definition));
    });

    it("a claimed job, tricky text in every field and a failure in its history, is the job getJob reads", async () => {
      const { store } = ctx;
      const fields = (i: number) => ({
        payload: { text: TRICKY_STRINGS, i },
        metadata: { [TRICKY_STRINGS[2]!]: TRICKY_STRINGS[5]!, empty: "" },
        uniqueKey: TRICKY_STRINGS[(i % 12) + 1]!,
      });
      const [first] = await store.createJobs([newJob({ ...fields(0), priority: 7, maxRetries: 3 })]);
      const [running] = await store.claimDueJobs(claimAt(T0));
      await store.failJob(refOf(running!), { now: at(1), error: TRICKY_STRINGS[4]!, retryAt: at(2) });
      const [again] = await store.claimDueJobs(claimAt(at(3)));
      expect(again).toEqual(await mustGet(store, first!.id));
      expect(again!.history.map((entry) => entry.error)).toEqual([TRICKY_STRINGS[4]]);
      expect(again!.error).toBe(TRICKY_STRINGS[4]);
      expect(again!.completedAt).toBeNull();
      if (typeof store.createJobsAndClaim === "function") {
        const job = newJob({ ...fields(1), queue: "text-claim" });
        const { claimed } = await store.createJobsAndClaim([job], claimAt(at(4), { queues: ["text-claim"] }));
        expect(claimed).toHaveLength(1);
        expect(claimed[0]).toEqual(await mustGet(store, job.id));
        expect(claimed[0]!.payload).toEqual(job.payload);
      }
    });

    it("an error message of any storable text, up to the runtime's limit, is recorded exactly", async () => {
      const { store } = ctx;
      const messages = [
        ...TRICKY_STRINGS.slice(1, 14),
        "\ufffd".repeat(10),
        "y".repeat(MAX_ERROR_LENGTH + 20),
      ];
      for (const [i, error] of messages.entries()) {
        const running = await createRunningJob(store, { queue: `q${i}` });
        const failed = await store.failJob(refOf(running), {
          now: at(1),
          error,
          retryAt: i % 2 ? null : at(5),
        });
        expect(failed?.error).toBe(error);
        const stored = await mustGet(store, running.id);
        expect(stored.error).toBe(error);
        expect(stored.history.at(-1)?.error).toBe(error);
      }
    });
  });
}
