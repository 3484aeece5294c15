import { ConfigError, type Job, type ScheduleState } from "@sched/core";

/**
 * How job payloads appear in responses: `"show"` as stored (the default), `"hide"` replaced by
 * `"[hidden]"`, or `{ redact: paths }` with the value at each dot path (such as `"card.number"`;
 * `*` matches any key; arrays are searched element by element) replaced by `"[redacted]"`.
 * Schedules' job templates are treated the same way.
 */
export type PayloadSetting = "show" | "hide" | { redact: string[] };

/** What a hidden payload is replaced by. */
export const HIDDEN = "[hidden]";
/** What a redacted value is replaced by. */
export const REDACTED = "[redacted]";

const SEGMENT = /^[^.]+$/;

/** Applies the `payloads` setting to what the API returns. */
export class PayloadView {
  private readonly mode: "show" | "hide" | "redact";
  private readonly paths: string[][];

  /**
   * Checks the setting.
   *
   * @throws ConfigError (`CONFIG_INVALID`, field `payloads`) for anything but the three forms, or
   *   an empty or malformed path.
   */
  constructor(setting: unknown = "show") {
    if (setting === "show" || setting === "hide") {
      this.mode = setting;
      this.paths = [];
      return;
    }
    if (setting !== null && typeof setting === "object" && !Array.isArray(setting)) {
      const { redact, ...rest } = setting as { redact?: unknown };
      if (Object.keys(rest).length === 0 && Array.isArray(redact) && redact.length > 0) {
        this.mode = "redact";
        this.paths = redact.map((path, index) => {
          if (typeof path !== "string" || path.length === 0 || path.length > 500)
            throw new ConfigError(`payloads.redact[${index}]`, "expected a dot path such as user.email");
          const segments = path.split(".");
          if (!segments.every((segment) => SEGMENT.test(segment)))
            throw new ConfigError(`payloads.redact[${index}]`, `"${path}" has an empty segment`);
          return segments;
        });
        return;
      }
    }
    throw new ConfigError("payloads", 'expected "show", "hide" or { redact: ["dot.path", …] } with at least one path');
  }

  /** The payload as the API shows it. */
  payload(payload: unknown): unknown {
    if (this.mode === "show") return payload;
    if (this.mode === "hide") return HIDDEN;
    let out = payload;
    for (const path of this.paths) out = redactPath(out, path);
    return out;
  }

  /** The job with its payload shown as set. */
  job(job: Job): Job {
    return this.mode === "show" ? job : { ...job, payload: this.payload(job.payload) };
  }

  /** The schedule with its job template's payload shown as set. */
  schedule<S extends ScheduleState>(schedule: S): S {
    if (this.mode === "show") return schedule;
    const definition = schedule.definition;
    return {
      ...schedule,
      definition: { ...definition, job: { ...definition.job, payload: this.payload(definition.job.payload) } },
    };
  }
}

/** A copy of `value` with whatever `path` reaches replaced; `value` itself is never changed. */
function redactPath(value: unknown, path: readonly string[]): unknown {
  if (path.length === 0) return REDACTED;
  if (Array.isArray(value)) return value.map((item) => redactPath(item, path));
  if (value === null || typeof value !== "object") return value;
  const [head, ...rest] = path as [string, ...string[]];
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const key of Object.keys(out)) {
    if (head === "*" || head === key) out[key] = redactPath(out[key], rest);
  }
  return out;
}
