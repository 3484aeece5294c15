/**
 * What the MongoDB contenders share: the server's URL, whether one answers (the MongoDB group runs
 * only then), and a way to drop a contender's database before and after its run.
 */
import { MongoClient } from "mongodb";

/** The MongoDB every MongoDB contender uses (`SCHED_MONGODB_URL`), without a database path. */
export function mongoUrl(env: Record<string, string | undefined> = process.env): string {
  return env.SCHED_MONGODB_URL?.trim() || "mongodb://127.0.0.1:27017";
}

/**
 * Why the MongoDB group cannot run, or `null` when a server answers a `ping` at {@link mongoUrl}
 * within `timeoutMs`. The reason names the hosts only (the URL may hold a password).
 */
export async function mongoUnavailable(
  env: Record<string, string | undefined> = process.env,
  timeoutMs = 1_500,
): Promise<string | null> {
  const url = mongoUrl(env);
  const hosts = /^mongodb(?:\+srv)?:\/\/(?:[^@/]*@)?([^/?]*)/i.exec(url)?.[1] ?? "the given hosts";
  let client: MongoClient;
  try {
    client = new MongoClient(url, { serverSelectionTimeoutMS: timeoutMs, connectTimeoutMS: timeoutMs });
  } catch {
    return "SCHED_MONGODB_URL is not a MongoDB URL the driver accepts";
  }
  try {
    await client.db("admin").command({ ping: 1 });
    return null;
  } catch {
    return `no MongoDB server answered at ${hosts} (set SCHED_MONGODB_URL)`;
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** Drops the database `name` (the contender's own: never another's). */
export async function dropDatabase(url: string, name: string): Promise<void> {
  if (!/^bench_[a-z0-9_]+$/.test(name)) throw new Error(`not a bench database: ${JSON.stringify(name)}`);
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 5_000 });
  try {
    await client.db(name).dropDatabase();
  } finally {
    await client.close();
  }
}
