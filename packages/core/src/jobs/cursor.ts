import { InvalidArgumentError } from "../errors.js";
import type { Job } from "./job.js";

/** Where a page of `listJobs` starts: after the job with this `createdAt` (epoch ms) and id. */
export interface JobCursor {
  createdAt: number;
  id: string;
}

const MAX_CURSOR_LENGTH = 600;

/**
 * The cursor that makes the next page start after `job` (keyset paging on `createdAt`, then id).
 * Opaque to users: base64url of `<createdAt ms>:<id>`. Stores build `nextCursor` with it.
 */
export function encodeJobCursor(job: Pick<Job, "createdAt" | "id">): string {
  return Buffer.from(`${job.createdAt.getTime()}:${job.id}`, "utf8").toString("base64url");
}

/**
 * Reads a cursor made by {@link encodeJobCursor}.
 *
 * @throws InvalidArgumentError (`INVALID_ARGUMENT`, field `cursor`) for anything else.
 */
export function decodeJobCursor(cursor: string): JobCursor {
  const bad = (): InvalidArgumentError =>
    new InvalidArgumentError("cursor", "expected the nextCursor of a previous page");
  if (typeof cursor !== "string" || cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH) throw bad();
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad();
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  const colon = text.indexOf(":");
  if (colon <= 0) throw bad();
  const createdAt = Number(text.slice(0, colon));
  const id = text.slice(colon + 1);
  if (!Number.isSafeInteger(createdAt) || id.length === 0 || id.length > 200 || id.includes("\u0000"))
    throw bad();
  if (encodeJobCursor({ createdAt: new Date(createdAt), id }) !== cursor) throw bad();
  return { createdAt, id };
}
