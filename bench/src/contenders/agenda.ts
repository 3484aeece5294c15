import { MongoBackend, MongoChangeStreamNotificationChannel } from "@agendajs/mongo-backend";
import { Agenda } from "agenda";
import { MongoClient } from "mongodb";
import type { BenchHandler, BenchJob, BenchPayload, Contender, WorkerSettings } from "../contender.js";
import { dropDatabase, mongoUrl } from "./mongodb.js";

/** Agenda's database: dropped before and after the run. */
const DATABASE = "bench_agenda";
const JOB_NAME = "bench_noop";
/** How often Agenda looks for due jobs, in ms, when no change stream wakes it. */
const PROCESS_EVERY_MS = 1_000;
/** Agenda has no bulk insert: bulk enqueue runs this many `now()`/`schedule()` calls at once. */
const ENQUEUE_IN_FLIGHT = 100;

/**
 * Agenda 6 (`@agendajs/mongo-backend`) at the settings that give it its best throughput: the job
 * defined with `concurrency` = the bench's (50), `maxConcurrency` the same, no lock limit, a poll
 * every second (`processEvery`; its default is 5 s), and on a replica set a change-stream
 * notification channel so that new jobs wake the worker without waiting for the poll. Agenda has
 * no bulk API: bulk enqueue is `now()` (or `schedule()` for a job due later) with 100 calls in
 * flight. Its database (`bench_agenda`) is dropped before and after the run.
 */
export function createContender(): Contender {
  const url = mongoUrl();
  let client: MongoClient | null = null;
  let agenda: Agenda | null = null;
  let concurrency = 50;

  const started = (): Agenda => {
    if (!agenda) throw new Error("agenda: setup() was not called");
    return agenda;
  };
  const enqueue = async (job: BenchJob): Promise<void> => {
    const data: BenchPayload = { i: job.i };
    if (job.runAt) await started().schedule(job.runAt, JOB_NAME, data);
    else await started().now(JOB_NAME, data);
  };

  return {
    async setup(settings: WorkerSettings) {
      concurrency = settings.concurrency;
      await dropDatabase(url, DATABASE);
      client = new MongoClient(url);
      await client.connect();
      const db = client.db(DATABASE);
      const hello = (await db.admin().command({ hello: 1 })) as { setName?: string; msg?: string };
      const replicated = typeof hello.setName === "string" || hello.msg === "isdbgrid";
      agenda = new Agenda({
        backend: new MongoBackend({ mongo: db }),
        ...(replicated ? { notificationChannel: new MongoChangeStreamNotificationChannel() } : {}),
        processEvery: PROCESS_EVERY_MS,
        maxConcurrency: concurrency,
        defaultConcurrency: concurrency,
        lockLimit: 0,
        defaultLockLimit: 0,
      });
      agenda.on("error", (err: unknown) =>
        console.error(`agenda error: ${err instanceof Error ? err.message : String(err)}`),
      );
      await agenda.ready;
    },
    async enqueueBulk(jobs) {
      for (let start = 0; start < jobs.length; start += ENQUEUE_IN_FLIGHT) {
        await Promise.all(jobs.slice(start, start + ENQUEUE_IN_FLIGHT).map(enqueue));
      }
    },
    enqueueOne: enqueue,
    async startWorker(handler: BenchHandler) {
      const a = started();
      a.define<BenchPayload>(
        JOB_NAME,
        async (job) => {
          handler(job.attrs.data);
        },
        { concurrency, lockLimit: 0 },
      );
      await a.start();
    },
    async teardown() {
      try {
        await agenda?.stop();
        await client?.close();
      } finally {
        agenda = null;
        client = null;
        await dropDatabase(url, DATABASE);
      }
    },
  };
}
