import { type NodeRun, runNode } from "@sched/test-support";
import { beforeAll, describe, expect, it } from "vitest";

const SCRIPT = new URL("../src/main.mjs", import.meta.url);

/** A span as `ConsoleSpanExporter` printed it. */
interface PrintedSpan {
  name: string;
  traceId: string;
  id: string;
  /** The parent's span id, from `parentSpanContext`; undefined for a root span. */
  parentId: string | undefined;
  jobName: string | undefined;
  attempt: number | undefined;
  outcome: string | undefined;
  statusCode: number;
  text: string;
}

/**
 * The objects the console exporters printed with `console.dir`: each starts with a `{` line and ends
 * with a `}` line, its own keys indented by two spaces.
 */
function printedObjects(stdout: string): string[] {
  return stdout.match(/^\{\n[\s\S]*?^\}$/gm) ?? [];
}

/** The spans in the output, in the order they ended. */
function spansOf(stdout: string): PrintedSpan[] {
  return printedObjects(stdout)
    .filter((text) => /^ {2}traceId: /m.test(text))
    .map((text) => {
      const field = (pattern: RegExp) => pattern.exec(text)?.[1];
      const attempt = field(/'sched\.job\.attempt': (\d+)/);
      return {
        name: field(/^ {2}name: '([^']*)'/m) ?? "",
        traceId: field(/^ {2}traceId: '([0-9a-f]{32})'/m) ?? "",
        id: field(/^ {2}id: '([0-9a-f]{16})'/m) ?? "",
        parentId: field(/^ {2}parentSpanContext: (?:undefined|\{[^}]*?spanId: '([0-9a-f]{16})')/m),
        jobName: field(/'sched\.job\.name': '([^']*)'/),
        attempt: attempt === undefined ? undefined : Number(attempt),
        outcome: field(/'sched\.job\.outcome': '([^']*)'/),
        statusCode: Number(field(/^ {2}status: \{ code: (\d)/m)),
        text,
      };
    });
}

/** The names of the metrics in the output. */
function metricNamesOf(stdout: string): string[] {
  return printedObjects(stdout)
    .map((text) => /^ {2}descriptor: \{\s+name: '([^']+)'/m.exec(text)?.[1])
    .filter((name): name is string => name !== undefined);
}

describe("examples/otel", () => {
  let run: NodeRun;
  let spans: PrintedSpan[];
  const named = (name: string) => spans.filter((span) => span.name === name);
  const processSpansOf = (jobName: string) =>
    named("process default").filter((span) => span.jobName === jobName);

  beforeAll(async () => {
    run = await runNode(SCRIPT, { timeoutMs: 25_000 });
    spans = spansOf(run.stdout);
  });

  it("exits with code 0 by itself within 15 seconds", () => {
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.durationMs).toBeLessThan(15_000);
    expect(run.stdout).toContain("providers shut down; the process exits on its own");
  });

  it("prints the request, send, process and tick spans", () => {
    expect(named("http request")).toHaveLength(1);
    expect(named("send default").map((span) => span.jobName)).toEqual(["send_receipt", "sync_crm"]);
    expect(processSpansOf("send_receipt")).toHaveLength(1);
    expect(processSpansOf("sync_crm")).toHaveLength(2);
    expect(named("tick heartbeat").length).toBeGreaterThanOrEqual(1);
    for (const span of spans) {
      expect(span.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(span.id).toMatch(/^[0-9a-f]{16}$/);
    }
  });

  it("continues the trace of the http request span in the send and process spans", () => {
    const [request] = named("http request");
    expect(request?.parentId).toBeUndefined();
    for (const jobName of ["send_receipt", "sync_crm"]) {
      const send = named("send default").find((span) => span.jobName === jobName);
      expect(send).toMatchObject({ traceId: request?.traceId, parentId: request?.id });
      for (const attempt of processSpansOf(jobName)) {
        expect(attempt).toMatchObject({ traceId: request?.traceId, parentId: send?.id });
      }
    }
  });

  it("runs the handlers in the trace of the request that enqueued them", () => {
    const traceId = named("http request")[0]?.traceId;
    expect(run.stdout).toContain(`handler send_receipt for order A-1001, in trace ${traceId}`);
    expect(run.stdout).toContain(`handler sync_crm attempt 1, in trace ${traceId}`);
    expect(run.stdout).toContain(`handler sync_crm attempt 2, in trace ${traceId}`);
  });

  it("marks the failed attempt as an error to be retried, and the retry as completed", () => {
    const [first, second] = processSpansOf("sync_crm");
    expect(first).toMatchObject({ attempt: 1, outcome: "retry", statusCode: 2 });
    expect(first?.text).toContain("'exception.message': 'CRM unavailable'");
    expect(second).toMatchObject({ attempt: 2, outcome: "completed", statusCode: 0 });
  });

  it("starts each schedule firing as a root span that the tick's job continues", () => {
    const requestTrace = named("http request")[0]?.traceId;
    const [tick] = named("tick heartbeat");
    expect(tick?.parentId).toBeUndefined();
    expect(tick?.traceId).not.toBe(requestTrace);
    expect(processSpansOf("heartbeat")[0]).toMatchObject({ traceId: tick?.traceId, parentId: tick?.id });
  });

  it("prints the metrics once", () => {
    const names = metricNamesOf(run.stdout);
    expect(names).toEqual(expect.arrayContaining(["sched.jobs.enqueued", "sched.jobs.completed"]));
    expect(names).toEqual(expect.arrayContaining(["sched.jobs.failed", "sched.jobs.retried"]));
    expect(names).toEqual(expect.arrayContaining(["sched.job.duration", "sched.job.schedule_delay"]));
    expect(names).toEqual(expect.arrayContaining(["sched.queue.pending", "sched.queue.running"]));
    expect(new Set(names).size).toBe(names.length);
  });
});
