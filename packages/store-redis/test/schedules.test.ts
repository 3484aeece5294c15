import { afterAll } from "vitest";
import { adminClient, keysOf } from "./helpers.js";
import { describeScheduleMoves } from "./schedule-moves.js";

const client = adminClient();
afterAll(() => client.quit());

describeScheduleMoves("RedisStore", () => ({ client, keysOf: (prefix) => keysOf(client, prefix) }));
