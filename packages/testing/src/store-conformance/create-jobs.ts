import { insertedJob, type NewJobRecord } from "@sched/core/adapter";
import { describe, expect, it } from "vitest";
import { at, claimAt, mustGet, newId, newJob, refOf, type StoreSuiteContext, T0 } from "./fixtures.js";

/** createJobs, getJob, and what survives the round trip through the store. */
export function describeCreateJobs(ctx: StoreSuiteContext): void {
  describe("createJobs and getJob", () => {
    it("createJobs stores a single job and returns it in its initial state", async () => {
      const input = newJob({
        name: "send_email",
        payload: { to: "a@example.com" },
        queue: "emails",
        priority: 7,
        maxRetries: 5,
        timeout: 12_345,
        scheduledAt: at(1_000),
        createdAt: T0,
        status: "scheduled",
        metadata: { tenant: "t1" },
        uniqueKey: "welcome:42",
      });
      const [created] = await ctx.store.createJobs([input]);
      const expected = {
        id: input.id,
        name: "send_email",
        payload: { to: "a@example.com" },
        queue: "emails",
        priority: 7,
        maxRetries: 5,
        retryCount: 0,
        timeout: 12_345,
        scheduledAt: at(1_000),
        createdAt: T0,
        startedAt: null,
        completedAt: null,
        error: null,
        status: "scheduled",
        metadata: { tenant: "t1" },
        uniqueKey: "welcome:42",
        group: null,
        attempt: 0,
        lostLeases: 0,
        lockedUntil: null,
        lockedBy: null,
        history: [],
      };
      expect(created).toEqual(expected);
      expect(await ctx.store.getJob(input.id)).toEqual(expected);
    });

    it("createJobs inserts a bulk of jobs and returns them in input order", async () => {
      // Ids are time-ordered, so reversing the input makes input order differ from id order.
      const inputs = Array.from({ length: 50 }, (_, i) => newJob({ name: `job-${i}` })).reverse();
      const created = await ctx.store.createJobs(inputs);
      expect(created.map((job) => job.id)).toEqual(inputs.map((job) => job.id));
      expect(created.map((job) => job.name)).toEqual(inputs.map((job) => job.name));
      for (const input of inputs) expect((await mustGet(ctx.store, input.id)).name).toBe(input.name);
    });

    it("a batch whose jobs share some fields and differ in others stores each job as given", async () => {
      const tricky = 'a "quoted" \\ back\\slash, a\nnew line, a\ttab, \\N, null, ✓ 🎉';
      const base = {
        name: "batch-job",
        queue: "batch",
        priority: 2,
        maxRetries: 4,
        timeout: 9_000,
        scheduledAt: at(500),
        createdAt: at(-500),
        status: "scheduled" as const,
        metadata: { tenant: tricky },
        uniqueKey: null,
        group: null,
      };
      // Each field differs in one job of a batch of three, and is shared in every other batch.
      const differing: Partial<NewJobRecord>[] = [
        { name: "other-name" },
        { queue: "other-queue" },
        { priority: -7 },
        { maxRetries: 0 },
        { timeout: 1 },
        { scheduledAt: at(-100), status: "pending" },
        { createdAt: at(-1_000) },
        { metadata: { tenant: "other", [tricky]: tricky } },
        { uniqueKey: `key ${tricky}` },
        { group: `group ${tricky}` },
      ];
      const payloads: unknown[] = [null, tricky, { nested: [tricky, 1.5, null, { deep: true }] }];
      const batches = differing.map((change) =>
        payloads.map((payload, i) => newJob({ ...base, payload, ...(i === 1 ? change : {}) })),
      );
      // And a batch where every field but the id and payload is shared.
      batches.push(payloads.map((payload) => newJob({ ...base, payload })));
      for (const batch of batches) {
        const created = await ctx.store.createJobs(batch);
        const expected = batch.map((job) => insertedJob(job));
        expect(created).toEqual(expected);
        for (const job of expected) expect(await ctx.store.getJob(job.id)).toEqual(job);
      }
    });

    for (const size of [1, 100]) {
      it(`the ${size === 1 ? "job" : `${size} jobs`} createJobs returns carry the payloads stored, though the caller changes its objects meanwhile`, async () => {
        const { store } = ctx;
        const payload = { v: "at call", list: [1] };
        const batch = Array.from({ length: size }, () => newJob({ payload }));
        const pending = store.createJobs(batch);
        // The caller goes on with its object while the insert is out.
        payload.v = "changed after the call";
        payload.list.push(2);
        const created = await pending;
        for (const index of [0, size - 1]) {
          const job = created[index] as NonNullable<(typeof created)[number]>;
          expect(job.payload).toEqual((await mustGet(store, job.id)).payload);
        }
      });
    }

    it("a job the store returns is the caller's: changing its payload, metadata or dates changes nothing stored", async () => {
      const { store } = ctx;
      const [created] = await store.createJobs([
        newJob({ payload: { v: "stored", list: [1] }, metadata: { k: "stored" }, scheduledAt: at(0) }),
      ]);
      const id = (created as NonNullable<typeof created>).id;
      const mutate = (job: { payload: unknown; metadata: Record<string, string>; scheduledAt: Date }) => {
        const payload = job.payload as { v: string; list: number[] };
        payload.v = "changed";
        payload.list.push(2);
        job.metadata.k = "changed";
        job.scheduledAt.setTime(0);
      };
      mutate(created as NonNullable<typeof created>);
      mutate(await mustGet(store, id));
      for (const listed of (await store.listJobs({})).jobs) mutate(listed);
      const [claimed] = await store.claimDueJobs(claimAt(at(1)));
      expect(claimed?.id).toBe(id);
      mutate(claimed as NonNullable<typeof claimed>);
      const stored = await mustGet(store, id);
      expect(stored.payload).toEqual({ v: "stored", list: [1] });
      expect(stored.metadata).toEqual({ k: "stored" });
      expect(stored.scheduledAt.getTime()).toBe(at(0).getTime());
    });

    it("createJobs with an empty list inserts nothing and returns an empty list", async () => {
      expect(await ctx.store.createJobs([])).toEqual([]);
      expect((await ctx.store.listJobs({})).jobs).toEqual([]);
    });

    it("a job whose id is already stored is refused with INVALID_ARGUMENT naming id; nothing of its batch is stored", async () => {
      // PostgreSQL answered STORE_ERROR (its primary key's violation), the other stores INVALID_ARGUMENT.
      const { store } = ctx;
      const first = newJob({ name: "first", payload: { v: 1 } });
      await store.createJobs([first]);
      for (const batch of [
        [newJob({ id: first.id, name: "again", payload: { v: 2 } })],
        [newJob({ name: "new-a" }), newJob({ id: first.id, name: "again" }), newJob({ name: "new-b" })],
      ]) {
        const refused = await store.createJobs(batch).then(
          () => null,
          (err: unknown) => err,
        );
        expect(refused, `a batch of ${batch.length}`).toMatchObject({
          code: "INVALID_ARGUMENT",
          field: "id",
          message: expect.stringContaining(first.id),
        });
        for (const job of batch) {
          if (job.id !== first.id) expect(await store.getJob(job.id)).toBeNull();
        }
      }
      expect(await store.getJob(first.id)).toMatchObject({ name: "first", payload: { v: 1 } });
      expect((await store.listJobs({})).jobs).toHaveLength(1);
    });

    it("getJob returns null for an id that was never stored", async () => {
      expect(await ctx.store.getJob(newId())).toBeNull();
    });

    it("run times from the first to the last millisecond of the years 1 to 9999 round-trip exactly", async () => {
      const earliest = new Date("0001-01-01T00:00:00.000Z");
      const latest = new Date("9999-12-31T23:59:59.999Z");
      const jobs = await ctx.store.createJobs([
        newJob({ scheduledAt: earliest, status: "pending" }),
        newJob({ scheduledAt: latest, status: "scheduled" }),
      ]);
      for (const [job, when] of [
        [jobs[0], earliest],
        [jobs[1], latest],
      ] as const) {
        expect(job!.scheduledAt.getTime()).toBe(when.getTime());
        expect((await mustGet(ctx.store, job!.id)).scheduledAt.getTime()).toBe(when.getTime());
      }
    });

    it("dates round-trip with millisecond precision", async () => {
      const scheduledAt = new Date("2030-01-01T00:00:00.001Z");
      const createdAt = new Date("2029-12-31T23:59:59.999Z");
      const [created] = await ctx.store.createJobs([newJob({ scheduledAt, createdAt })]);
      expect(created!.scheduledAt.getTime()).toBe(scheduledAt.getTime());
      expect(created!.createdAt.getTime()).toBe(createdAt.getTime());

      const now = new Date("2030-01-01T00:00:01.237Z");
      const lockedUntil = new Date("2030-01-01T00:01:01.239Z");
      const [claimed] = await ctx.store.claimDueJobs(claimAt(now, { lockedUntil }));
      expect(claimed!.startedAt?.getTime()).toBe(now.getTime());
      expect(claimed!.lockedUntil?.getTime()).toBe(lockedUntil.getTime());

      const failedAt = new Date("2030-01-01T00:00:02.503Z");
      const retryAt = new Date("2030-01-01T00:00:07.011Z");
      await ctx.store.failJob(refOf(claimed!), { now: failedAt, error: "boom", retryAt });
      const stored = await mustGet(ctx.store, created!.id);
      expect(stored.scheduledAt.getTime()).toBe(retryAt.getTime());
      expect(stored.createdAt.getTime()).toBe(createdAt.getTime());
      expect(stored.startedAt?.getTime()).toBe(now.getTime());
      expect(stored.history[0]?.failedAt.getTime()).toBe(failedAt.getTime());
      expect(stored.scheduledAt).toBeInstanceOf(Date);
      expect(stored.history[0]?.failedAt).toBeInstanceOf(Date);
    });

    it("nested JSON payloads and unicode metadata round-trip unchanged", async () => {
      const payload = {
        text: "héllo wörld — 日本語 — עברית — 👩‍👩‍👧‍👦 — e\u0301",
        empty: "",
        quotes: `"'\\\n\t`,
        numbers: [0, -1, 3.25, 1e-7, Number.MAX_SAFE_INTEGER],
        flags: [true, false, null],
        nested: { deeper: { deepest: [{ a: 1 }, [], {}] } },
        "ключ 🔑": "value",
      };
      const metadata = {
        tenant: "t-ü",
        trace: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ключ: "🚀",
      };
      const [created] = await ctx.store.createJobs([newJob({ payload, metadata })]);
      expect(created!.payload).toEqual(payload);
      expect(created!.metadata).toEqual(metadata);
      const stored = await mustGet(ctx.store, created!.id);
      expect(stored.payload).toEqual(payload);
      expect(stored.metadata).toEqual(metadata);
    });

    it("payloads that are JSON scalars or arrays round-trip unchanged", async () => {
      const payloads: unknown[] = [null, "just a string", 42, -0.5, true, [1, "two", { three: 3 }]];
      const created = await ctx.store.createJobs(payloads.map((payload) => newJob({ payload })));
      for (const [i, job] of created.entries()) {
        expect((await mustGet(ctx.store, job.id)).payload).toEqual(payloads[i]);
      }
    });

    it("changing the input records after createJobs does not change the stored jobs", async () => {
      const input = newJob({ payload: { list: [1, 2] }, metadata: { a: "1" } });
      await ctx.store.createJobs([input]);
      (input.payload as { list: number[] }).list.push(3);
      input.metadata.a = "changed";
      input.scheduledAt.setTime(0);
      const stored = await mustGet(ctx.store, input.id);
      expect(stored.payload).toEqual({ list: [1, 2] });
      expect(stored.metadata).toEqual({ a: "1" });
      expect(stored.scheduledAt.getTime()).toBe(T0.getTime());
    });

    it("changing a returned job does not change the stored job", async () => {
      const [created] = await ctx.store.createJobs([newJob({ metadata: { a: "1" } })]);
      created!.status = "completed";
      created!.metadata.a = "changed";
      created!.scheduledAt.setTime(0);
      created!.history.push({ attempt: 9, error: "fake", failedAt: T0 });
      const stored = await mustGet(ctx.store, created!.id);
      expect(stored.status).toBe("pending");
      expect(stored.metadata).toEqual({ a: "1" });
      expect(stored.scheduledAt.getTime()).toBe(T0.getTime());
      expect(stored.history).toEqual([]);
    });
  });
}
