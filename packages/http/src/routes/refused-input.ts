import { ConfigError, InvalidArgumentError } from "@sched/core";
import { HttpError } from "../http-error.js";

/** Where a value the scheduler refused came from: the query or the body of the request. */
export type InputSource = "query" | "body";

const CODE_OF_SOURCE: Record<InputSource, string> = { query: "INVALID_QUERY", body: "INVALID_BODY" };

/**
 * Runs `call`, which hands the scheduler values the request sent, and answers the scheduler's
 * refusal of one of them (`InvalidArgumentError`, `ConfigError`) as the API answers every other
 * bad value from the same place: 400 `INVALID_QUERY` naming the query parameter, or 400
 * `INVALID_BODY` naming the body field. The scheduler names a field by its own argument (the
 * body of `PATCH /api/queues/{name}` is its `config`, so `config.bogus`); `within` lists those
 * argument names, cut from the front of the field (`bogus`) or, alone, read as `body`.
 *
 * @throws HttpError 400 for a refused value; anything else `call` throws, unchanged.
 */
export async function refusedInput<T>(
  source: InputSource,
  call: () => Promise<T>,
  within: readonly string[] = [],
): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (!(err instanceof InvalidArgumentError || err instanceof ConfigError)) throw err;
    const reason = err.message.startsWith(`${err.field}: `)
      ? err.message.slice(err.field.length + 2)
      : err.message;
    throw new HttpError(
      400,
      CODE_OF_SOURCE[source],
      `${fieldOfRequest(err.field, source, within)}: ${reason}`,
    );
  }
}

/** The name the request gave `field`: without the scheduler's argument name in front of it. */
function fieldOfRequest(field: string, source: InputSource, within: readonly string[]): string {
  for (const argument of within) {
    if (field === argument) return source;
    if (field.startsWith(`${argument}.`)) return field.slice(argument.length + 1);
  }
  return field;
}
