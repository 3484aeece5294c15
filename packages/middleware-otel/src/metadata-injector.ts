import { type Context, defaultTextMapSetter, propagation, type TextMapPropagator } from "@opentelemetry/api";
import { isStorableText, type OutgoingJob } from "@sched/core";
import type { TelemetryFaults } from "./telemetry-faults.js";

/** `@sched/core`'s default `maxMetadataBytes`: 16 KiB of JSON. */
export const DEFAULT_MAX_METADATA_BYTES = 16 * 1024;

/** How {@link MetadataInjector} writes a job's context. */
export interface InjectionRules {
  /** Largest metadata, in bytes of JSON, the scheduler accepts; `0` for no limit. */
  readonly maxMetadataBytes: number;
  /** Whether the context's baggage is written too (`propagateBaggage`). */
  readonly baggage: boolean;
}

/**
 * Writes a producer's context into a job's metadata so that a consumer can continue its trace,
 * without ever making the job fail: the propagator writes into a scratch carrier first, and what
 * it wrote is copied into the job only when it is all storable text and the whole metadata stays
 * within the scheduler's `maxMetadataBytes` (the scheduler checks metadata again after enqueue
 * middleware, and refuses the job, or fails every firing of a schedule, past it). Otherwise the
 * job is stored without the context, and a warning says so once.
 *
 * The context is written without its baggage unless `baggage` is set: the W3C baggage of an
 * incoming request may hold secrets (session tokens) and kilobytes, and would be stored with every
 * job. With the W3C propagators, that leaves `traceparent` and `tracestate`.
 */
export class MetadataInjector {
  constructor(
    private readonly rules: InjectionRules,
    private readonly faults: TelemetryFaults,
  ) {}

  /** Writes `active` into `job.metadata` through `propagator`, when it fits (see the class). */
  inject(propagator: TextMapPropagator, active: Context, job: OutgoingJob): void {
    // A carrier without a prototype: a "__proto__" field stays a field.
    const written: Record<string, string> = Object.create(null);
    propagator.inject(
      this.rules.baggage ? active : propagation.deleteBaggage(active),
      written,
      defaultTextMapSetter,
    );
    const fields = Object.keys(written);
    if (fields.length === 0) return;
    for (const field of fields) {
      const value: unknown = written[field];
      if (typeof value !== "string" || !isStorableText(field) || !isStorableText(value)) {
        this.faults.warnOnce(
          "metadata-unstorable",
          "the propagator wrote a field the scheduler cannot store; trace context not written into the job's metadata",
          { name: job.name, queue: job.queue, field },
        );
        return;
      }
    }
    const limit = this.rules.maxMetadataBytes;
    if (limit > 0) {
      // As the scheduler counts it: without its own `sched.` keys (a tick's schedule and time).
      const counted = Object.fromEntries(
        Object.entries({ ...job.metadata, ...written }).filter(([key]) => !key.startsWith("sched.")),
      );
      const bytes = jsonBytes(counted, limit);
      if (bytes > limit) {
        this.faults.warnOnce(
          "metadata-limit",
          "trace context not written into a job's metadata: it would take the metadata past maxMetadataBytes; the job runs without a link to its producer",
          { name: job.name, queue: job.queue, bytes, maxMetadataBytes: limit },
        );
        return;
      }
    }
    for (const field of fields) {
      // Defined, not assigned: an own "__proto__" field must stay data, as the scheduler keeps it.
      Object.defineProperty(job.metadata, field, {
        value: written[field],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
}

/**
 * The size of `metadata` in bytes of JSON, as the scheduler measures it; exact whenever it could
 * pass `limit` (a string of n code units takes at least n and at most 3n bytes of UTF-8).
 */
function jsonBytes(metadata: Record<string, string>, limit: number): number {
  const json = JSON.stringify(metadata);
  return json.length * 3 > limit ? Buffer.byteLength(json, "utf8") : json.length;
}
