import { InvalidArgumentError } from "../errors.js";
import { MAX_LOOKUP_ID_LENGTH } from "../validation/job-id.js";
import type { Job } from "./job.js";

/** Where a page of `listJobs` starts: after the job with this `createdAt` (epoch ms) and id. */
export interface JobCursor {
  createdAt: number;
  id: string;
  /** The order of the pages the cursor continues; a cursor given with the other order is refused. */
  order: "asc" | "desc";
}

const MAX_CURSOR_LENGTH = 600;

/** Marks a cursor of descending pages; one of ascending pages has no mark (the earlier format). */
const DESCENDING_MARK = "d";

/**
 * The cursor that makes the next page start after `job` (keyset paging on `createdAt`, then id),
 * for pages in `order` (default `"asc"`). Opaque to users: base64url of `<createdAt ms>:<id>`,
 * with a leading `d` for descending pages, so that a cursor is never read in the other order
 * (it would page backwards). Stores build `nextCursor` with it, passing the filter's `order`.
 *
 * @throws InvalidArgumentError (`INVALID_ARGUMENT`, field `order`) for an order other than
 *   `"asc"` and `"desc"`.
 */
export function encodeJobCursor(job: Pick<Job, "createdAt" | "id">, order: "asc" | "desc" = "asc"): string {
  if (order !== "asc" && order !== "desc") {
    throw new InvalidArgumentError("order", `expected "asc" or "desc", got ${typeof order}`);
  }
  const mark = order === "desc" ? DESCENDING_MARK : "";
  return Buffer.from(`${mark}${job.createdAt.getTime()}:${job.id}`, "utf8").toString("base64url");
}

/**
 * Reads a cursor made by {@link encodeJobCursor}, with the order of the pages it continues.
 *
 * @throws InvalidArgumentError (`INVALID_ARGUMENT`, field `cursor`) for anything else.
 */
export function decodeJobCursor(cursor: string): JobCursor {
  const bad = (): InvalidArgumentError =>
    new InvalidArgumentError("cursor", "expected the nextCursor of a previous page");
  if (typeof cursor !== "string" || cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH) throw bad();
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad();
  const marked = Buffer.from(cursor, "base64url").toString("utf8");
  const order = marked.startsWith(DESCENDING_MARK) ? "desc" : "asc";
  const text = order === "desc" ? marked.slice(DESCENDING_MARK.length) : marked;
  const colon = text.indexOf(":");
  if (colon <= 0) throw bad();
  const createdAt = Number(text.slice(0, colon));
  const id = text.slice(colon + 1);
  // Any id a page may end on: a job's, or its dead letter's (`<id>:dead:<attempt>`, over 200).
  if (
    !Number.isSafeInteger(createdAt) ||
    id.length === 0 ||
    id.length > MAX_LOOKUP_ID_LENGTH ||
    id.includes("\u0000")
  )
    throw bad();
  if (encodeJobCursor({ createdAt: new Date(createdAt), id }, order) !== cursor) throw bad();
  return { createdAt, id, order };
}
