import { formatDuration, parseDuration } from "@sched/core";
import type { Command } from "commander";
import { type CommandContext, flagsOf, messagesOf, print } from "../context.js";
import { CliError, ExitCode, usageError } from "../exit-codes.js";
import { formatSpan } from "../format.js";
import { HEARTBEAT_INTERVAL_MS } from "../instance-view.js";
import { migrationAdvice } from "../migration-advice.js";
import type { Instance } from "../operations-api.js";
import { type Column, renderTable } from "../output.js";
import { attributeToFlags, environmentWith, openSession, type Session, type Settings } from "../session.js";
import { readStoreClock, type StoreClockReading } from "../store-clock.js";

/** The outcome of one check of `sched doctor`. */
export interface DoctorCheck {
  /** One of {@link DOCTOR_CHECKS}. */
  check: string;
  /** `skipped` when the check could not run; `detail` then says why. */
  status: "ok" | "warning" | "problem" | "skipped";
  /** What the check found, or why it was skipped; never a connection string. */
  detail: string;
}

/** What `sched doctor --json` prints. */
export interface DoctorReport {
  /** Whether no check found a problem (warnings allowed). */
  ok: boolean;
  store: string | null;
  checks: DoctorCheck[];
}

const CHECK_COLUMNS: readonly Column<DoctorCheck>[] = [
  { header: "CHECK", cell: (check) => check.check },
  { header: "STATUS", cell: (check) => check.status },
  { header: "DETAIL", cell: (check) => check.detail },
];

/** `promise`, or a rejection naming `what` once `ms` passed; the timer never outlives it. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${formatDuration(ms)}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

interface DoctorFlags {
  maxSkew: string;
  timeout: string;
}

/** `sched doctor`: connectivity, migrations, leader, clock skew. Exit code 4 when a check finds a problem. */
export function registerDoctorCommand(program: Command, context: CommandContext): void {
  program
    .command("doctor")
    .description(
      "check the store connection, migrations, the leader, and clock skew between this machine, the store and the instances",
    )
    .option("--max-skew <duration>", "the clock skew tolerated before it is a problem", "2s")
    .option("--timeout <duration>", "how long each check may wait for the store", "5s")
    .action(async (_options: unknown, command: Command) => {
      const flags = flagsOf<DoctorFlags>(command);
      const maxSkew = durationFlag("--max-skew", flags.maxSkew);
      const timeout = durationFlag("--timeout", flags.timeout);
      // One Node.js timer waits at most 2^31 - 1 ms; a longer wait would end at once.
      if (timeout <= 0 || timeout > 2_147_483_647)
        throw usageError("--timeout: must be positive and at most 24d");
      const report = await diagnose(context, environmentWith(context.env, flags), { maxSkew, timeout });
      print(context, flags, report, () =>
        [
          renderTable(report.checks, CHECK_COLUMNS, ""),
          "",
          report.ok ? "no problems found" : "problems found",
        ].join("\n"),
      );
      if (!report.ok)
        throw new CliError(ExitCode.problems, "DOCTOR_PROBLEMS", "sched doctor found problems", {});
    });
}

function durationFlag(flag: string, value: string): number {
  try {
    return parseDuration(value, flag);
  } catch {
    throw usageError(`${flag}: expected a duration such as 500ms, 2s or 1m, got "${value}"`);
  }
}

/** The checks of `sched doctor`, in the order they are reported; every report lists each one. */
export const DOCTOR_CHECKS = [
  "config",
  "connectivity",
  "migrations",
  "instances",
  "leader",
  "clock",
  "heartbeats",
] as const;

/**
 * Runs every check and returns the report; never throws for what it finds. Each check reports
 * its own finding; one that cannot run is `skipped` with the reason (the check it depends on).
 */
async function diagnose(
  context: CommandContext,
  settings: Settings,
  limits: { maxSkew: number; timeout: number },
): Promise<DoctorReport> {
  const checks: DoctorCheck[] = [];
  const add: Add = (check, status, detail) => {
    checks.push({ check, status, detail });
  };
  const skipRest = (reason: string): void => {
    for (const check of DOCTOR_CHECKS)
      if (!checks.some((done) => done.check === check)) add(check, "skipped", reason);
  };
  let session: Session;
  try {
    session = await openSession(settings, messagesOf(context), context.store);
  } catch (err) {
    add("config", "problem", messageOf(err));
    skipRest("the settings are not valid (see config)");
    return { ok: false, store: null, checks };
  }
  try {
    add("config", "ok", `store ${session.storeKind}`);
    const state = await checkConnection(session, limits.timeout, add);
    if (state === "unreachable") {
      skipRest("the store is not reachable (see connectivity)");
    } else {
      let instances: Instance[] | null = null;
      let noInstances = "the instances could not be listed (see instances)";
      if (state === "unmigrated") {
        noInstances = "the store's tables are not migrated (see migrations): run sched migrate";
        add("instances", "skipped", noInstances);
        add("leader", "skipped", noInstances);
      } else {
        instances = await checkInstances(session, limits.timeout, add);
      }
      // The server's clock needs no tables: it is read whether or not the migrations are applied.
      const clock = await checkStoreClock(context, session, limits, add);
      checkHeartbeats(instances, noInstances, clock, context.now(), limits.maxSkew, add);
    }
  } finally {
    await session.close();
  }
  return { ok: checks.every((check) => check.status !== "problem"), store: session.storeKind, checks };
}

type Add = (check: (typeof DOCTOR_CHECKS)[number], status: DoctorCheck["status"], detail: string) => void;

/**
 * `connectivity` and `migrations`: whether the store answers, and whether its tables are current.
 * A store that answers but whose tables are missing or behind is `unmigrated`.
 */
async function checkConnection(
  session: Session,
  timeout: number,
  add: Add,
): Promise<"ok" | "unmigrated" | "unreachable"> {
  const hasMigrations = typeof (session.scheduler.store as { migrate?: unknown }).migrate === "function";
  try {
    await within(session.scheduler.store.ping(), timeout, "the store");
    add("connectivity", "ok", `the ${session.storeKind} store answers`);
    add("migrations", "ok", hasMigrations ? "applied" : `none needed by the ${session.storeKind} store`);
    return "ok";
  } catch (err) {
    if (codeOf(err) === "MIGRATION_REQUIRED") {
      add("connectivity", "ok", `the ${session.storeKind} store answers`);
      add("migrations", "problem", migrationAdvice(err));
      return "unmigrated";
    }
    add("connectivity", "problem", messageOf(attributeToFlags(err, session.flagOf)));
    add("migrations", "skipped", "the store is not reachable (see connectivity)");
    return "unreachable";
  }
}

/** `instances` and `leader`: who runs, and whether exactly one of them leads. */
async function checkInstances(session: Session, timeout: number, add: Add): Promise<Instance[] | null> {
  let instances: Instance[];
  try {
    instances = await within(session.scheduler.listInstances(), timeout, "the store");
  } catch (err) {
    add("instances", "problem", messageOf(err));
    add("leader", "skipped", "the instances could not be listed (see instances)");
    return null;
  }
  add(
    "instances",
    instances.length === 0 ? "warning" : "ok",
    instances.length === 0 ? "no scheduler is running on this store" : `${instances.length} running`,
  );
  // Instances without distributed mode each fire schedules (a compare-and-set keeps every tick to
  // one job); only the ones that elect a leader must have exactly one.
  const electing = instances.filter((instance) => instance.distributed);
  const solo = instances.filter((instance) => !instance.distributed);
  const leaders = electing.filter((instance) => instance.leader);
  if (electing.length === 0 && solo.length > 0)
    add("leader", "ok", `no leader election: each of ${solo.length} instance(s) fires schedules`);
  else if (leaders.length === 1) add("leader", "ok", `${(leaders[0] as Instance).id} leads`);
  else if (leaders.length === 0 && electing.length > 0)
    add("leader", "problem", "no instance leads: schedules do not fire and expired leases are not recovered");
  else if (leaders.length > 1)
    add(
      "leader",
      "problem",
      `${leaders.length} instances claim to lead: ${leaders.map((l) => l.id).join(", ")}`,
    );
  else add("leader", "warning", "no instance runs: nothing fires schedules");
  return instances;
}

/** `clock`: this machine's clock against the store server's. */
async function checkStoreClock(
  context: CommandContext,
  session: Session,
  limits: { maxSkew: number; timeout: number },
  add: Add,
): Promise<StoreClockReading | null> {
  let reading: StoreClockReading | null;
  try {
    reading = await within(
      readStoreClock(session, context.load, () => context.now()),
      limits.timeout,
      "the store clock",
    );
  } catch (err) {
    add("clock", "problem", `the store's clock could not be read: ${messageOf(err)}`);
    return null;
  }
  if (reading === null) {
    add("clock", "skipped", `the ${session.storeKind} store has no server clock to compare`);
    return null;
  }
  const skew = reading.serverTime.getTime() - reading.localTime;
  const margin = reading.roundTripMs / 2;
  const over = Math.abs(skew) - margin > limits.maxSkew;
  const detail =
    `${reading.source} is ${describeOffset(skew)} this machine's clock (±${formatSpan(margin)}), ` +
    `${over ? "over" : "within"} --max-skew ${formatDuration(limits.maxSkew)}`;
  add("clock", over ? "problem" : "ok", detail);
  return reading;
}

function describeOffset(ms: number): string {
  if (Math.abs(ms) < 1) return "in step with";
  return ms > 0 ? `${formatSpan(ms)} ahead of` : `${formatSpan(-ms)} behind`;
}

/**
 * `heartbeats`: each instance's last heartbeat against the reference clock (the store's when it
 * has one, else this machine's). A heartbeat ahead of the reference by more than `maxSkew` means
 * the instance's clock is ahead; one older than the heartbeat interval plus `maxSkew` means its
 * clock is behind, or it stalls. The finding says what was measured: the oldest heartbeat's age
 * against that limit (the skew of this machine's clock is the `clock` check's). Skipped, saying
 * why, without instances to check (`instances` is `null` when they could not be listed, for the
 * reason `unlisted`).
 */
function checkHeartbeats(
  instances: readonly Instance[] | null,
  unlisted: string,
  clock: StoreClockReading | null,
  localNow: number,
  maxSkew: number,
  add: Add,
): void {
  if (instances === null) {
    add("heartbeats", "skipped", unlisted);
    return;
  }
  if (instances.length === 0) {
    add("heartbeats", "skipped", "no scheduler is running on this store (see instances)");
    return;
  }
  // The reference time now: the store's clock, carried forward from its reading.
  const reference = clock === null ? localNow : clock.serverTime.getTime() + (localNow - clock.localTime);
  const against = clock === null ? "this machine's clock" : clock.source;
  const findings: string[] = [];
  const maxAge = HEARTBEAT_INTERVAL_MS + maxSkew;
  let oldest = 0;
  for (const instance of instances) {
    oldest = Math.max(oldest, reference - instance.lastSeenAt.getTime());
    const offset = instance.lastSeenAt.getTime() - reference;
    if (offset > maxSkew) {
      findings.push(`${instance.id}: clock ahead of ${against} by at least ${formatSpan(offset)}`);
    } else if (-offset > maxAge) {
      findings.push(
        `${instance.id}: last heartbeat ${formatSpan(-offset)} ago by ${against} (its clock is behind, or it stalls)`,
      );
    }
  }
  if (findings.length === 0) {
    add(
      "heartbeats",
      "ok",
      `${instances.length} instance(s); oldest heartbeat ${formatSpan(oldest)} old by ${against} ` +
        `(limit ${formatDuration(maxAge)}: the ${formatDuration(HEARTBEAT_INTERVAL_MS)} interval + --max-skew ` +
        `${formatDuration(maxSkew)}); none ahead of it by more than ${formatDuration(maxSkew)}`,
    );
  } else {
    add("heartbeats", "problem", findings.join("; "));
  }
}
