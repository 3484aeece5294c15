import { describe, expect, it } from "vitest";
import { CONTENDERS, DEFAULT_CONTENDERS } from "../src/contenders/index.js";
import { dropDatabase, mongoUnavailable, mongoUrl } from "../src/contenders/mongodb.js";
import { GROUPS, peersOf, selectGroups } from "../src/groups.js";

const mongodb = GROUPS.find((g) => g.name === "mongodb")!;

describe("the MongoDB group", () => {
  it("compares sched-mongodb with Agenda, on the same sizes as the PostgreSQL group, by default", () => {
    expect(mongodb).toMatchObject({ subject: "sched-mongodb", contenders: ["agenda", "sched-mongodb"] });
    expect(mongodb.sizes).toEqual(GROUPS.find((g) => g.name === "postgres")?.sizes);
    expect(DEFAULT_CONTENDERS).toEqual(expect.arrayContaining(["agenda", "sched-mongodb"]));
    expect(CONTENDERS.agenda?.description).toMatch(/Agenda 6\.2/);
    const [selection] = selectGroups(["agenda", "sched-mongodb"]);
    expect(peersOf(selection!)).toEqual(["agenda"]);
  });

  it("runs only when a server answers: otherwise it says why, naming the hosts without the password", async () => {
    const reason = await mongoUnavailable({ SCHED_MONGODB_URL: "mongodb://u:s3cr3t@127.0.0.1:1/x" }, 300);
    expect(reason).toBe("no MongoDB server answered at 127.0.0.1:1 (set SCHED_MONGODB_URL)");
    expect(await mongoUnavailable({ SCHED_MONGODB_URL: "http://u:s3cr3t@h" }, 300)).toMatch(
      /^SCHED_MONGODB_URL is not a MongoDB URL(?!.*s3cr3t)/,
    );
    expect(mongodb.unavailable).toBeTypeOf("function");
  });

  it("reads SCHED_MONGODB_URL, with a default on this machine's port 27017", () => {
    expect(mongoUrl({})).toBe("mongodb://127.0.0.1:27017");
    expect(mongoUrl({ SCHED_MONGODB_URL: " mongodb://db:27017 " })).toBe("mongodb://db:27017");
  });

  it("drops only the bench's own databases", async () => {
    await expect(dropDatabase("mongodb://127.0.0.1:1", "production")).rejects.toThrow(/not a bench database/);
  });
});
