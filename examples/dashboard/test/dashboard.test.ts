import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SCRIPT = fileURLToPath(new URL("../src/main.mjs", import.meta.url));

describe("examples/dashboard", () => {
  it("serves the dashboard and the API with the printed tokens, read-only for the read token, and stops by itself", async () => {
    const child = spawn(process.execPath, [SCRIPT], {
      env: { ...process.env, DASHBOARD_EXAMPLE_PORT: "0", DASHBOARD_EXAMPLE_RUN_MS: "6000" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += String(chunk);
    });
    let err = "";
    child.stderr.on("data", (chunk) => {
      err += String(chunk);
    });
    const deadline = Date.now() + 10_000;
    while (!/write token: \S+/.test(out) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    const url = /dashboard: (\S+)\//.exec(out)?.[1] as string;
    const read = /read token: +(\S+)/.exec(out)?.[1] as string;
    const write = /write token: +(\S+)/.exec(out)?.[1] as string;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<html");
    expect((await fetch(`${url}/api/queues`)).status).toBe(401);
    const session = await fetch(`${url}/api/session`, { headers: { authorization: `Bearer ${read}` } });
    expect(await session.json()).toMatchObject({ role: "read" });
    const queues = (await (
      await fetch(`${url}/api/queues`, { headers: { authorization: `Bearer ${read}` } })
    ).json()) as { name: string; paused: boolean }[];
    expect(queues.find((queue) => queue.name === "newsletters")?.paused).toBe(true);
    const refused = await fetch(`${url}/api/queues/newsletters/resume`, {
      method: "POST",
      headers: { authorization: `Bearer ${read}` },
    });
    expect(refused.status).toBe(403);
    const resumed = await fetch(`${url}/api/queues/newsletters/resume`, {
      method: "POST",
      headers: { authorization: `Bearer ${write}` },
    });
    expect(resumed.status).toBe(200);
    const [code] = (await once(child, "exit")) as [number];
    expect(code).toBe(0);
    expect(out).toContain("stopped");
    expect(err).toBe("");
  }, 30_000);
});
