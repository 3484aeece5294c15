import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AuditFile } from "../src/audit-file.js";
import { Messages } from "../src/messages.js";

describe("the audit log file of sched serve", () => {
  it("writes each entry as one JSON line, with what a terminal would act on escaped", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sched-audit-"));
    try {
      const path = join(dir, "audit.jsonl");
      const file = await AuditFile.open(path, "--audit-log", new Messages({ out() {}, err() {} }, false));
      const target = "invoice\u202efdp.exe\u009b2J\u001b]0;t\u0007";
      file.append({ at: "2030-01-01T00:00:00.000Z", who: "ops", action: "queue.pause", target, ok: false });
      await file.close();
      const text = await readFile(path, "utf8");
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is looked for
      expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
      expect(JSON.parse(text).target).toBe(target);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
