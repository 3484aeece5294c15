// The dashboard in a real browser (Debian's chromium via playwright-core), served by @sched/http
// in front of a real PostgreSQL-backed scheduler with jobs in every state.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, screenshot } from "./support/browser.js";
import { type Fixture, READ_TOKEN, startFixture, WRITE_TOKEN } from "./support/fixture.js";

let fixture: Fixture;
let browser: Browser;

beforeAll(async () => {
  fixture = await startFixture();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await fixture?.close();
});

/** A fresh tab signed in with `token`, at `hash`. */
async function open(token: string, hash = "#/"): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${fixture.server.url}/${hash}`);
  await page.getByTestId("login-token").fill(token);
  await page.getByTestId("login-submit").click();
  await page.getByTestId("session-role").waitFor();
  return page;
}

/** The ids of the job rows shown in `table`, in order. */
async function rowIds(page: Page, table: string): Promise<string[]> {
  return page
    .getByTestId(table)
    .getByTestId("job-row")
    .evaluateAll((rows) => rows.map((row) => row.getAttribute("data-job-id") ?? ""));
}

const WRITE_CONTROLS = [
  "queue-pause",
  "queue-resume",
  "limits-form",
  "limits-save",
  "row-retry",
  "job-actions",
  "job-retry",
  "job-cancel",
  "job-promote",
  "job-delete",
  "schedule-pause",
  "schedule-resume",
  "schedule-trigger",
  "dead-retry",
  "dead-delete",
  "dead-retry-all",
  "dead-delete-all",
];

async function writeControlsOn(page: Page): Promise<string[]> {
  const found: string[] = [];
  for (const id of WRITE_CONTROLS) if ((await page.getByTestId(id).count()) > 0) found.push(id);
  return found;
}

describe("signing in", () => {
  it("the page asks for a token and refuses one the server does not know", async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${fixture.server.url}/`);
      await page.getByTestId("login-token").fill("not-a-token");
      await page.getByTestId("login-submit").click();
      await expect(page.getByTestId("login-error").textContent()).resolves.toContain("not accepted");
      expect(await page.getByTestId("page-overview").count()).toBe(0);
      await screenshot(page, "login");
    } finally {
      await page.close();
    }
  });

  it("the token is kept for the tab only, and signing out forgets it", async () => {
    const page = await open(WRITE_TOKEN);
    try {
      expect(await page.evaluate(() => Object.values(sessionStorage))).toContain(WRITE_TOKEN);
      expect(await page.evaluate(() => Object.values(localStorage))).not.toContain(WRITE_TOKEN);
      await expect(page.getByTestId("session-name").textContent()).resolves.toBe("ops");
      await page.reload();
      await page.getByTestId("page-overview").waitFor();
      await page.getByTestId("logout").click();
      await page.getByTestId("login-form").waitFor();
      expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    } finally {
      await page.close();
    }
  });
});

describe("pages render the scheduler's data", () => {
  it("overview: queues with their counts, throughput, instances and the leader", async () => {
    const page = await open(READ_TOKEN);
    try {
      const stats = await fixture.scheduler.stats();
      await expect(page.getByTestId("stat-completed").textContent()).resolves.toBe(String(stats.completed));
      await expect(page.getByTestId("stat-dead").textContent()).resolves.toBe("1");
      await expect(page.getByTestId("stat-pending").textContent()).resolves.toBe(String(stats.pending));
      const emails = page.locator('[data-testid="queue-row"][data-queue="emails"]');
      await expect(emails.getByTestId("queue-count-completed").textContent()).resolves.toBe("3");
      await expect(emails.getByTestId("queue-count-dead").textContent()).resolves.toBe("1");
      await expect(emails.getByTestId("queue-count-scheduled").textContent()).resolves.toBe("1");
      const bulk = page.locator('[data-testid="queue-row"][data-queue="bulk"]');
      await expect(bulk.getByTestId("queue-count-pending").textContent()).resolves.toBe("30");
      await expect(bulk.textContent()).resolves.toContain("paused");
      const reports = page.locator('[data-testid="queue-row"][data-queue="reports"]');
      await expect(reports.getByTestId("queue-count-running").textContent()).resolves.toBe("1");

      await page.getByTestId("throughput-chart").locator("canvas").waitFor();
      await expect(page.getByTestId("throughput-completed").textContent()).resolves.toBe("3");
      // The time axis drawn spans the last hour, ending with the current minute (with few minutes
      // of data it ran from one year to another).
      const chart = page.locator("[data-testid=throughput-chart] .chart");
      await page.waitForFunction(() => document.querySelector(".chart[data-x-max]") !== null);
      const xMin = Number(await chart.getAttribute("data-x-min"));
      const xMax = Number(await chart.getAttribute("data-x-max"));
      expect(xMax - xMin).toBe(59 * 60);
      expect(Math.abs(xMax - Math.floor(Date.now() / 60_000) * 60)).toBeLessThanOrEqual(120);
      const history = await fixture.scheduler.throughput({ since: new Date(Date.now() - 3_600_000) });
      const failed = history.reduce((sum, point) => sum + point.failed, 0);
      expect(failed).toBeGreaterThan(0);
      await expect(page.getByTestId("throughput-failed").textContent()).resolves.toBe(String(failed));

      const instances = await fixture.scheduler.listInstances();
      expect(instances.length).toBe(1);
      await page.locator(`[data-testid="instance-row"][data-instance-id="${instances[0]!.id}"]`).waitFor();
      await expect(page.getByTestId("leader").textContent()).resolves.toBe(fixture.scheduler.instanceId);
      await screenshot(page, "overview");
    } finally {
      await page.close();
    }
  });

  it("queue: jobs by state, paged by cursor with next and back", async () => {
    const page = await open(READ_TOKEN, "#/queues/bulk?status=pending");
    const pages: { url: string; payloads: unknown[] }[] = [];
    page.on("response", async (response) => {
      if (!new URL(response.url()).pathname.endsWith("/api/jobs")) return;
      const body = (await response.json()) as { jobs: { payload: unknown }[] };
      pages.push({ url: response.url(), payloads: body.jobs.map((job) => job.payload) });
    });
    try {
      await page.getByTestId("jobs-table").waitFor();
      const first = await rowIds(page, "jobs-table");
      expect(first).toEqual(fixture.jobs.bulk.slice(0, 25));
      await expect(page.getByTestId("status-tab-pending").textContent()).resolves.toContain("30");
      await expect(page.getByTestId("queue-state").textContent()).resolves.toBe("paused");
      await screenshot(page, "queue");

      await page.getByTestId("page-next").click();
      await expect(page.getByTestId("page-number").textContent()).resolves.toBe("page 2");
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="job-row"]').length === 5);
      expect(await rowIds(page, "jobs-table")).toEqual(fixture.jobs.bulk.slice(25));
      expect(await page.getByTestId("page-next").isDisabled()).toBe(true);

      await page.getByTestId("page-back").click();
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="job-row"]').length === 25);
      expect(await rowIds(page, "jobs-table")).toEqual(first);

      await page.getByTestId("status-tab-completed").click();
      await page.getByTestId("jobs-table-empty").waitFor();
      await page.goto(`${fixture.server.url}/#/queues/emails?status=completed`);
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="job-row"]').length === 3);
      expect((await rowIds(page, "jobs-table")).sort()).toEqual([...fixture.jobs.completed].sort());
      await expect(page.getByTestId("limit-concurrency-value").textContent()).resolves.toBe("none");
      // The list pages come without payloads, which the rows do not show.
      expect(pages.length).toBeGreaterThan(2);
      for (const listed of pages) {
        expect(listed.url).toContain("payloads=hide");
        for (const payload of listed.payloads) expect(payload).toBe("[hidden]");
      }
    } finally {
      await page.close();
    }
  });

  it("job: payload, metadata and the attempts with their errors", async () => {
    const page = await open(READ_TOKEN, `#/jobs/${fixture.jobs.dead}`);
    try {
      await expect(page.getByTestId("job-status").textContent()).resolves.toBe("dead");
      await expect(page.getByTestId("job-name").textContent()).resolves.toBe("send-email");
      const payload = JSON.parse((await page.getByTestId("job-payload").textContent()) ?? "");
      expect(payload).toEqual({ to: "bounce@example.com", fail: true });
      const metadata = await page.getByTestId("metadata-row").allTextContents();
      expect(metadata.sort()).toEqual(["campaignspring", "tenantacme"]);
      const attempts = page.getByTestId("attempts-timeline").getByTestId("attempt-item");
      await expect(attempts.count()).resolves.toBe(2);
      const errors = await page.getByTestId("attempt-error").allTextContents();
      expect(errors).toEqual([
        "SMTP 550 mailbox unavailable: bounce@example.com",
        "SMTP 550 mailbox unavailable: bounce@example.com",
      ]);
      expect(await attempts.evaluateAll((items) => items.map((i) => i.getAttribute("data-attempt")))).toEqual(
        ["1", "2"],
      );
      await screenshot(page, "job");
    } finally {
      await page.close();
    }
  });

  it("schedules: next run, last run and the next runs to come", async () => {
    const page = await open(READ_TOKEN, "#/schedules");
    try {
      const stored = await fixture.scheduler.listSchedules();
      const rows = page.getByTestId("schedule-row");
      await rows.first().waitFor();
      await expect(rows.count()).resolves.toBe(stored.length);
      const nightly = page.locator('[data-testid="schedule-row"][data-schedule="nightly-digest"]');
      await expect(nightly.textContent()).resolves.toContain("0 3 * * *");
      await expect(nightly.getByTestId("schedule-last-run").textContent()).resolves.toBe("never");
      await nightly.getByTestId("schedule-preview").click();
      // The next runs arrive from the API after the click.
      await page.getByTestId("schedule-next-item").first().waitFor();
      const next = await page
        .getByTestId("schedule-next-item")
        .evaluateAll((items) => items.map((i) => i.getAttribute("data-at")));
      const expected = (await fixture.scheduler.previewSchedule("nightly-digest", 5)).map((d) =>
        d.toISOString(),
      );
      expect(next).toEqual(expected);
      await screenshot(page, "schedules");
    } finally {
      await page.close();
    }
  });

  it("dead letters: the dead jobs of every queue", async () => {
    const page = await open(READ_TOKEN, "#/dead");
    try {
      await page.getByTestId("dead-table").waitFor();
      expect(await rowIds(page, "dead-table")).toEqual([fixture.jobs.dead]);
      // The count arrives with its own request; wait for it rather than read a placeholder.
      await page.waitForFunction(
        (n) => document.querySelector('[data-testid="dead-count"]')?.textContent === n,
        "1",
      );
      await expect(page.getByTestId("dead-table").textContent()).resolves.toContain("SMTP 550");
      await screenshot(page, "dead-letters");
    } finally {
      await page.close();
    }
  });

  it("a hash with no page names it as it was written", async () => {
    const page = await open(READ_TOKEN, "#/bogus");
    try {
      await page.getByTestId("page-not-found").waitFor();
      await expect(page.getByTestId("page-not-found").textContent()).resolves.toContain(
        "No page at #/bogus.",
      );
      await page.goto(`${fixture.server.url}/#bogus`);
      await expect(page.getByTestId("not-found-path").textContent()).resolves.toBe("#bogus");
      await screenshot(page, "not-found");
    } finally {
      await page.close();
    }
  });
});

describe("a read-only session", () => {
  it("sees no write control on any page", async () => {
    const page = await open(READ_TOKEN);
    try {
      await expect(page.getByTestId("session-role").textContent()).resolves.toBe("read only");
      const hashes = [
        "#/",
        "#/queues/emails?status=dead",
        "#/queues/bulk?status=pending",
        `#/jobs/${fixture.jobs.dead}`,
        `#/jobs/${fixture.jobs.scheduled}`,
        "#/schedules",
        "#/dead",
      ];
      for (const hash of hashes) {
        await page.goto(`${fixture.server.url}/${hash}`);
        await page.locator('[data-testid^="page-"]').first().waitFor();
        await page.locator("table, [data-testid$='-empty']").first().waitFor();
        expect(await writeControlsOn(page), hash).toEqual([]);
      }
    } finally {
      await page.close();
    }
  });

  it("is refused by the API (403) when it sends an action anyway, and nothing changes", async () => {
    const page = await open(READ_TOKEN);
    try {
      const statuses = await page.evaluate(
        async ({ token, dead }) => {
          const post = (path: string, body?: unknown) =>
            fetch(path, {
              method: "POST",
              headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
              body: body === undefined ? null : JSON.stringify(body),
            }).then((r) => r.status);
          return [
            await post(`api/jobs/${dead}/retry`),
            await post("api/queues/emails/pause"),
            await post("api/jobs/retry", { status: "dead" }),
            await post("api/schedules/heartbeat/trigger"),
            await fetch(`api/jobs/${dead}`, {
              method: "DELETE",
              headers: { authorization: `Bearer ${token}` },
            }).then((r) => r.status),
          ];
        },
        { token: READ_TOKEN, dead: fixture.jobs.dead },
      );
      expect(statuses).toEqual([403, 403, 403, 403, 403]);
      expect((await fixture.scheduler.getJob(fixture.jobs.dead))?.status).toBe("dead");
      expect((await fixture.scheduler.getQueue("emails")).paused).toBe(false);
    } finally {
      await page.close();
    }
  });
});

describe("a write session acts", () => {
  it("pauses and resumes a queue, and sets its limits", async () => {
    const page = await open(WRITE_TOKEN, "#/queues/emails?status=completed");
    try {
      await page.getByTestId("queue-pause").click();
      await page.getByTestId("queue-resume").waitFor();
      expect((await fixture.scheduler.getQueue("emails")).paused).toBe(true);
      await page.getByTestId("queue-resume").click();
      await page.getByTestId("queue-pause").waitFor();
      expect((await fixture.scheduler.getQueue("emails")).paused).toBe(false);

      await page.getByTestId("limit-concurrency").fill("3");
      await page.getByTestId("limit-rate-max").fill("10");
      await page.getByTestId("limit-rate-per").fill("60000");
      await page.getByTestId("limits-save").click();
      await page.getByTestId("notice").filter({ hasText: "saved" }).waitFor();
      const queue = await fixture.scheduler.getQueue("emails");
      expect(queue.concurrency).toBe(3);
      expect(queue.rateLimit).toEqual({ max: 10, per: 60_000 });
      await expect(page.getByTestId("limit-concurrency-value").textContent()).resolves.toBe("3");
      // What is not a whole number of at least 1 is refused, never taken as "no limit".
      for (const bad of ["-", "1e999", "2.5", "0", "99999999999999999999"]) {
        await page.getByTestId("limit-concurrency").fill(bad);
        await page.getByTestId("limits-save").click();
        await page.getByTestId("notice-error").filter({ hasText: "Concurrency" }).waitFor();
      }
      await page.getByTestId("limit-concurrency").fill("3");
      await page.getByTestId("limit-rate-per").fill("");
      await page.getByTestId("limits-save").click();
      await page.getByTestId("notice-error").filter({ hasText: "per ms is needed" }).waitFor();
      const unchanged = await fixture.scheduler.getQueue("emails");
      expect(unchanged.concurrency).toBe(3);
      expect(unchanged.rateLimit).toEqual({ max: 10, per: 60_000 });
      await page.getByTestId("limit-rate-per").fill("60000");
      // A window without its jobs is refused too, rather than saved as no rate limit.
      await page.getByTestId("limit-rate-max").fill("");
      await page.getByTestId("limits-save").click();
      await page.getByTestId("notice-error").filter({ hasText: "jobs is needed" }).waitFor();
      expect((await fixture.scheduler.getQueue("emails")).rateLimit).toEqual({ max: 10, per: 60_000 });
      await page.getByTestId("limit-concurrency").fill("");
      await page.getByTestId("limit-rate-per").fill("");
      await page.getByTestId("limits-save").click();
      await page.getByTestId("notice").filter({ hasText: "saved" }).waitFor();
      await fixture.until(
        "the limits are removed",
        async () => (await fixture.scheduler.getQueue("emails")).concurrency === null,
      );
      expect((await fixture.scheduler.getQueue("emails")).rateLimit).toBeNull();
    } finally {
      await page.close();
    }
  });

  it("promotes a scheduled job, so it runs now", async () => {
    const job = await fixture.scheduler.enqueue({
      name: "send-email",
      queue: "emails",
      payload: { to: "p@example.com" },
      delay: "2h",
    });
    const page = await open(WRITE_TOKEN, `#/jobs/${job.id}`);
    try {
      await expect(page.getByTestId("job-status").textContent()).resolves.toBe("scheduled");
      await page.getByTestId("job-promote").click();
      await fixture.until(
        "the promoted job completes",
        async () => (await fixture.scheduler.getJob(job.id))?.status === "completed",
      );
    } finally {
      await page.close();
    }
  });

  it("cancels a waiting job and retries it", async () => {
    const job = await fixture.scheduler.enqueue({
      name: "send-email",
      queue: "emails",
      payload: { to: "c@example.com" },
      delay: "2h",
    });
    const page = await open(WRITE_TOKEN, `#/jobs/${job.id}`);
    try {
      await page.getByTestId("job-cancel").click();
      await page.waitForFunction(
        () => document.querySelector('[data-testid="job-status"]')?.textContent === "cancelled",
      );
      expect((await fixture.scheduler.getJob(job.id))?.status).toBe("cancelled");
      await page.getByTestId("job-retry").click();
      await fixture.until(
        "the retried job completes",
        async () => (await fixture.scheduler.getJob(job.id))?.status === "completed",
      );
    } finally {
      await page.close();
    }
  });

  it("deletes a job after a confirmation", async () => {
    const job = await fixture.scheduler.enqueue({
      name: "send-email",
      queue: "emails",
      payload: { to: "d@example.com" },
      delay: "2h",
    });
    const page = await open(WRITE_TOKEN, `#/jobs/${job.id}`);
    try {
      await page.getByTestId("job-delete").click();
      expect(await fixture.scheduler.getJob(job.id)).not.toBeNull();
      await page.getByTestId("job-delete-confirm").click();
      await fixture.until(
        "the job is deleted",
        async () => (await fixture.scheduler.getJob(job.id)) === null,
      );
      await page.getByTestId("page-queue").waitFor();
    } finally {
      await page.close();
    }
  });

  it("pauses, resumes and triggers a schedule", async () => {
    const page = await open(WRITE_TOKEN, "#/schedules");
    try {
      const row = page.locator('[data-testid="schedule-row"][data-schedule="nightly-digest"]');
      await row.getByTestId("schedule-pause").click();
      await row.getByTestId("schedule-resume").waitFor();
      expect((await fixture.scheduler.getSchedule("nightly-digest"))?.paused).toBe(true);
      await expect(row.getByTestId("schedule-next-run").textContent()).resolves.toBe("—");
      await row.getByTestId("schedule-resume").click();
      await row.getByTestId("schedule-pause").waitFor();
      expect((await fixture.scheduler.getSchedule("nightly-digest"))?.paused).toBe(false);

      const before = (await fixture.scheduler.listJobs({ name: "nightly-digest", limit: 1000 })).jobs.length;
      await row.getByTestId("schedule-trigger").click();
      await page.getByTestId("notice").filter({ hasText: "triggered" }).waitFor();
      await fixture.until(
        "the triggered run is enqueued",
        async () =>
          (await fixture.scheduler.listJobs({ name: "nightly-digest", limit: 1000 })).jobs.length ===
          before + 1,
      );
    } finally {
      await page.close();
    }
  });

  it("retries one dead job, retries all, deletes one and deletes all", async () => {
    const dead: string[] = [];
    for (let i = 0; i < 3; i++) {
      dead.push(
        (
          await fixture.scheduler.enqueue({
            name: "sync-crm",
            queue: "emails",
            payload: { i },
            maxRetries: 0,
          })
        ).id,
      );
    }
    for (const id of dead) {
      await fixture.until(
        `job ${id} is dead`,
        async () => (await fixture.scheduler.getJob(id))?.status === "dead",
      );
    }
    const rows = () => page.getByTestId("dead-table").getByTestId("job-row").count();
    const page = await open(WRITE_TOKEN, "#/dead?queue=emails");
    try {
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="job-row"]').length === 4);
      // The count arrives with its own request; wait for it rather than read a placeholder.
      await page.waitForFunction(
        (n) => document.querySelector('[data-testid="dead-count"]')?.textContent === n,
        "4",
      );

      // one: sync-crm always fails, so with no retries left it is dead again after one more attempt
      await page
        .locator(`[data-testid="job-row"][data-job-id="${dead[0]}"]`)
        .getByTestId("dead-retry")
        .click();
      await page.getByTestId("notice").filter({ hasText: "retried" }).waitFor();
      await fixture.until("the retried job ran again", async () => {
        const job = await fixture.scheduler.getJob(dead[0]!);
        return job?.status === "dead" && job.history.length === 2;
      });

      // all of the queue
      await page.reload();
      await page.getByTestId("dead-table").waitFor();
      await page.getByTestId("dead-retry-all").click();
      // A bulk action asks first, naming what it acts on; nothing is retried before.
      await expect(page.getByTestId("dead-retry-all-confirm").textContent()).resolves.toBe(
        "Retry all 4 dead in queue emails",
      );
      expect((await fixture.scheduler.getQueue("emails")).counts.dead).toBe(4);
      await page.getByTestId("dead-retry-all-confirm").click();
      await page
        .getByTestId("notice")
        .filter({ hasText: /^\d+ job\(s\) retried/ })
        .waitFor();
      await fixture.until("every dead job of emails ran again", async () => {
        const job = await fixture.scheduler.getJob(dead[2]!);
        return job?.status === "dead" && job.history.length === 2;
      });
      await fixture.until(
        "the retried jobs are dead again",
        async () => (await fixture.scheduler.getQueue("emails")).counts.dead === 4,
      );

      // one, after a confirmation
      await page.reload();
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="job-row"]').length === 4);
      const row = page.locator(`[data-testid="job-row"][data-job-id="${dead[1]}"]`);
      await row.getByTestId("dead-delete").click();
      expect(await fixture.scheduler.getJob(dead[1]!)).not.toBeNull();
      await row.getByTestId("dead-delete-confirm").click();
      await fixture.until(
        "the dead job is deleted",
        async () => (await fixture.scheduler.getJob(dead[1]!)) === null,
      );
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="job-row"]').length === 3);

      // all, after a confirmation naming the count
      await page.getByTestId("dead-delete-all").click();
      await expect(page.getByTestId("dead-delete-all-confirm").textContent()).resolves.toBe(
        "Delete all 3 dead in queue emails",
      );
      await page.getByTestId("dead-delete-all-confirm").click();
      await page.getByTestId("notice").filter({ hasText: "3 job(s) deleted" }).waitFor();
      expect((await fixture.scheduler.getQueue("emails")).counts.dead).toBe(0);
      await page.getByTestId("dead-table-empty").waitFor();
      expect(await rows()).toBe(0);
    } finally {
      await page.close();
    }
  });
});

describe("pages follow changes made elsewhere", () => {
  /** Makes `n` dead jobs in `queue` (sync-crm always fails; no retries) and returns their ids. */
  async function deadJobs(queue: string, n: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const { id } = await fixture.scheduler.enqueue({
        name: "sync-crm",
        queue,
        payload: { i },
        maxRetries: 0,
      });
      ids.push(id);
    }
    for (const id of ids) {
      await fixture.until(
        `job ${id} is dead`,
        async () => (await fixture.scheduler.getJob(id))?.status === "dead",
      );
    }
    return ids;
  }

  const rowCount = (page: Page, n: number) =>
    page.waitForFunction((want) => document.querySelectorAll('[data-testid="job-row"]').length === want, n, {
      timeout: 15_000,
    });

  it("a queue's list and the dead letters reload with their counts; a refused row action drops the row", async () => {
    // The lists were loaded once: a tab counting 6 dead jobs listed 3, and "Delete all" deleted
    // jobs the page never showed.
    const first = await deadJobs("stale", 2);
    const queuePage = await open(WRITE_TOKEN, "#/queues/stale?status=dead");
    const deadPage = await open(WRITE_TOKEN, "#/dead?queue=stale");
    try {
      await rowCount(queuePage, 2);
      await rowCount(deadPage, 2);
      const more = await deadJobs("stale", 2);
      await rowCount(queuePage, 4);
      await rowCount(deadPage, 4);
      expect(await rowIds(deadPage, "dead-table")).toEqual(expect.arrayContaining([...first, ...more]));
      await deadPage.waitForFunction(
        () => document.querySelector('[data-testid="dead-count"]')?.textContent === "4",
        undefined,
        { timeout: 15_000 },
      );
      // A job deleted elsewhere: its row's action is refused (404), and the row goes at once.
      const gone = first[0] as string;
      await fixture.scheduler.deleteJob(gone);
      expect(await fixture.scheduler.getJob(gone)).toBeNull();
      await deadPage
        .locator(`[data-testid="job-row"][data-job-id="${gone}"]`)
        .getByTestId("dead-retry")
        .click();
      await deadPage.getByTestId("notice-error").waitFor();
      // The notice shows as soon as the action is refused; the reload that drops the row follows
      // it, well before the page's own reload every 5 s.
      await deadPage.waitForFunction(
        (id) => document.querySelector(`[data-testid="job-row"][data-job-id="${id}"]`) === null,
        gone,
        { timeout: 4_000 },
      );
      expect(await rowIds(deadPage, "dead-table")).not.toContain(gone);
      expect(await rowIds(deadPage, "dead-table")).toHaveLength(3);
    } finally {
      await queuePage.close();
      await deadPage.close();
      await fixture.scheduler.deleteJobs({ queue: "stale", status: "dead" });
    }
  });

  it("a job's page shows a change made elsewhere, and offers the actions of its new state", async () => {
    const job = await fixture.scheduler.enqueue({
      name: "send-email",
      queue: "emails",
      payload: { to: "elsewhere@example.com" },
      delay: "2h",
    });
    const page = await open(WRITE_TOKEN, `#/jobs/${job.id}`);
    try {
      await page.getByTestId("job-cancel").waitFor();
      await fixture.scheduler.cancel(job.id);
      await page.waitForFunction(
        () => document.querySelector('[data-testid="job-status"]')?.textContent === "cancelled",
        undefined,
        { timeout: 15_000 },
      );
      await page.getByTestId("job-retry").waitFor();
      expect(await page.getByTestId("job-cancel").count()).toBe(0);
    } finally {
      await page.close();
      await fixture.scheduler.deleteJob(job.id);
    }
  });
});

describe("job data of any length", () => {
  it("a 200-character queue name and an 8 KB error without spaces stay within the window", async () => {
    const queue = `wide-${"q".repeat(195)}`;
    const job = await fixture.scheduler.enqueue({
      name: "send-email",
      queue,
      payload: { to: "x".repeat(8_000), fail: true },
      metadata: { file: "invoice\u202egnp.exe" },
      maxRetries: 0,
    });
    await fixture.until(
      "the job is dead",
      async () => (await fixture.scheduler.getJob(job.id))?.status === "dead",
    );
    await fixture.scheduler.schedule(`wide-${"s".repeat(195)}`, "0 3 * * *", () => {}, { queue });
    const page = await open(WRITE_TOKEN);
    try {
      for (const [hash, shown] of [
        ["#/", "queue-row"],
        [`#/queues/${queue}?status=dead`, "job-row"],
        [`#/jobs/${job.id}`, "job-status"],
        [`#/dead?queue=${queue}`, "job-row"],
        ["#/schedules", "schedule-row"],
      ] as const) {
        await page.goto(`${fixture.server.url}/${hash}`);
        await page.getByTestId(shown).first().waitFor();
        const widths = await page.evaluate(() => ({
          page: document.documentElement.scrollWidth,
          window: window.innerWidth,
        }));
        expect(widths.page, hash).toBeLessThanOrEqual(widths.window);
        // And the page's own short words (headings, badges, times) keep to one line.
        const broken = await page.evaluate(() => {
          const out: string[] = [];
          for (const el of Array.from(document.querySelectorAll("th, td, span, a"))) {
            if (el.children.length > 0) continue;
            const text = el.textContent?.trim() ?? "";
            if (!/^[A-Za-z]{3,12}$/.test(text)) continue;
            const range = document.createRange();
            range.selectNodeContents(el);
            const lines = new Set(Array.from(range.getClientRects()).map((rect) => Math.round(rect.top)))
              .size;
            if (lines > 1) out.push(`${text} (${lines} lines)`);
          }
          return out;
        });
        expect(broken, hash).toEqual([]);
      }
      // A right-to-left override in job data is shown, not obeyed.
      await page.goto(`${fixture.server.url}/#/jobs/${job.id}`);
      await expect(page.getByTestId("metadata-row").first().textContent()).resolves.toContain(
        "invoice⟨U+202E⟩gnp.exe",
      );
      // Also in what a crafted link puts on the page.
      await page.goto(`${fixture.server.url}/#/jobs/${encodeURIComponent("\u202efdp.exe")}`);
      await expect(page.getByTestId("job-id").textContent()).resolves.toBe("⟨U+202E⟩fdp.exe");
    } finally {
      await page.close();
    }
  });
});
