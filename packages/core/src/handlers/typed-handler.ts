import { InvalidArgumentError, PayloadValidationError } from "../errors.js";
import type { HandlerFn, JobContext } from "../jobs/handler.js";
import type { Job } from "../jobs/job.js";
import { permanent } from "../retry/retry.js";
import { readSafely } from "../validation/payload.js";

/**
 * The Standard Schema interface (https://standardschema.dev), which zod, valibot, arktype and
 * others implement. Declared here so that core needs no dependency for it.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly "~standard": {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (
      value: unknown,
    ) => StandardSchemaV1Result<Output> | Promise<StandardSchemaV1Result<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}

/** The result of a Standard Schema validation. */
export type StandardSchemaV1Result<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | {
      readonly issues: ReadonlyArray<{
        readonly message: string;
        readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
      }>;
    };

/**
 * Makes a handler that receives a typed payload. With a Standard Schema, the payload is
 * validated first (and may be transformed); a payload that fails validation is a permanent
 * error: the job goes to the dead-letter queue with a {@link PayloadValidationError}, unretried.
 *
 * @throws InvalidArgumentError (`INVALID_ARGUMENT`) naming `fn` or `schema` when it is not one.
 * @example
 * s.register("welcome", typedHandler(async (p: { userId: number }) => send(p.userId), UserSchema));
 */
export function typedHandler<T>(
  fn: (payload: T, job: Job<T>, ctx: JobContext) => Promise<void> | void,
  schema?: StandardSchemaV1<unknown, T>,
): HandlerFn {
  if (typeof fn !== "function") {
    throw new InvalidArgumentError(
      "fn",
      `expected a function of (payload, job, ctx), got ${fn === null ? "null" : typeof fn}`,
    );
  }
  // A getter or proxy that throws while the schema is checked is the caller's bad argument.
  readSafely("schema", () => {
    if (
      schema !== undefined &&
      typeof (schema as Partial<StandardSchemaV1> | null)?.["~standard"]?.validate !== "function"
    ) {
      throw new InvalidArgumentError(
        "schema",
        "expected a Standard Schema (an object whose ~standard.validate is a function), or nothing",
      );
    }
  });
  if (!schema) return (job, ctx) => fn(job.payload as T, job as Job<T>, ctx);
  return async (job, ctx) => {
    const result = await schema["~standard"].validate(job.payload);
    if (result.issues) {
      throw permanent(
        new PayloadValidationError(
          result.issues.map((i) => ({
            message: i.message,
            path: i.path?.map((p) => (typeof p === "object" && p !== null ? p.key : p)),
          })),
        ),
      );
    }
    const typed = { ...job, payload: result.value } as Job<T>;
    await fn(result.value, typed, ctx);
  };
}
