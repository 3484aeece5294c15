import type { Attributes } from "@opentelemetry/api";
import { ATTR } from "./names.js";

/**
 * Metric attribute sets by queue, job name and outcome, made once and reused: recording a metric
 * allocates nothing on the hot path. Bounded: past `limit` distinct sets, new ones are not kept.
 */
export class AttributeSets {
  private readonly sets = new Map<string, Map<string, Map<string, Attributes>>>();
  private size = 0;

  constructor(private readonly limit = 10_000) {}

  /** The attributes of `queue`, `name` and `outcome`; without an outcome when it is `""`. */
  get(queue: string, name: string, outcome: string): Attributes {
    let byName = this.sets.get(queue);
    if (!byName) {
      byName = new Map();
      this.sets.set(queue, byName);
    }
    let byOutcome = byName.get(name);
    if (!byOutcome) {
      byOutcome = new Map();
      byName.set(name, byOutcome);
    }
    let attributes = byOutcome.get(outcome);
    if (!attributes) {
      attributes = Object.freeze(
        outcome === ""
          ? { [ATTR.destination]: queue, [ATTR.jobName]: name }
          : { [ATTR.destination]: queue, [ATTR.jobName]: name, [ATTR.outcome]: outcome },
      );
      if (this.size < this.limit) {
        byOutcome.set(outcome, attributes);
        this.size++;
      }
    }
    return attributes;
  }
}
