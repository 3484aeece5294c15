import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { adapterImportProblems, coreSpecifiers, importProblems } from "./adapter-imports.mjs";

describe("coreSpecifiers", () => {
  it("finds static, type-only, re-export, dynamic and require forms", () => {
    const source = [
      'import { a } from "@sched/core";',
      'import type { B } from "@sched/core/adapter";',
      "export * from '@sched/core/dist/index.js';",
      'const m = await import("@sched/core");',
      'const r = require("@sched/core/adapter");',
      'import "@sched/core";',
      'import { x } from "@sched/core-extra";',
    ].join("\n");
    assert.deepEqual(coreSpecifiers(source), [
      "@sched/core",
      "@sched/core/adapter",
      "@sched/core/dist/index.js",
      "@sched/core",
      "@sched/core/adapter",
      "@sched/core",
    ]);
  });
});

describe("importProblems", () => {
  it("accepts the adapter surface and reports the application entry and deep paths", () => {
    assert.deepEqual(importProblems("a.ts", 'import { Store } from "@sched/core/adapter";'), []);
    const problems = importProblems(
      "b.ts",
      'import { X } from "@sched/core";\nimport "@sched/core/src/x.js";',
    );
    assert.equal(problems.length, 2);
    assert.match(problems[0], /b\.ts: imports "@sched\/core"/);
    assert.match(problems[1], /"@sched\/core\/src\/x\.js"/);
  });
});

describe("adapterImportProblems", () => {
  it("checks the sources of store-* and leader-* packages only", () => {
    const root = mkdtempSync(join(tmpdir(), "adapter-imports-"));
    for (const [dir, source] of [
      ["store-x", 'import { Store } from "@sched/core";'],
      ["leader-y", 'import { LeaseLeader } from "@sched/core/adapter";'],
      ["middleware-z", 'import { chain } from "@sched/core";'],
    ]) {
      mkdirSync(join(root, dir, "src", "nested"), { recursive: true });
      writeFileSync(join(root, dir, "src", "nested", "index.ts"), source);
    }
    const problems = adapterImportProblems(root);
    assert.equal(problems.length, 1);
    assert.match(problems[0], /store-x/);
  });
});
