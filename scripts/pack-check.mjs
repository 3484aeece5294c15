// Packs every public package as a tarball and checks what it ships (package-checks.mjs: the
// repository links in package.json, the ranges on sibling packages, the README's links), then
// installs the tarballs into a fresh npm project and checks that each loads from both `require`
// and `import` there, as users will install them. @sched/core also runs a job end to end from
// both module systems.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { checkMetadata, checkReadmeLinks, checkSiblingRanges } from "./package-checks.mjs";

const root = resolve(".");
const work = mkdtempSync(join(tmpdir(), "sched-pack-"));
const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" });

try {
  const packages = readdirSync("packages")
    .map((dir) => ({
      dir: join(root, "packages", dir),
      pkg: JSON.parse(readFileSync(join("packages", dir, "package.json"), "utf8")),
    }))
    .filter(({ pkg }) => !pkg.private);
  const tarballs = [];
  for (const { dir, pkg } of packages) {
    const out = run("npx", ["-y", "pnpm@10.34.9", "pack", "--pack-destination", work], dir)
      .trim()
      .split("\n")
      .pop();
    tarballs.push(out);
    console.log(`packed ${pkg.name}`);
  }
  checkTarballs(packages, tarballs);
  const project = join(work, "project");
  run("mkdir", ["-p", project]);
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({ name: "pack-check", private: true, version: "1.0.0" }),
  );
  // Peers (database drivers, vitest) are the user's to install; leave them out here, except the
  // OpenTelemetry API, which the middleware check below runs with.
  run(
    "npm",
    ["install", "--no-audit", "--no-fund", "--legacy-peer-deps", "@opentelemetry/api@1.9.1", ...tarballs],
    project,
  );

  const job = `
    const s = sched.createScheduler({ logger: { debug() {}, info() {}, warn() {}, error() {} } });
    let ran = false;
    s.register("hello", () => { ran = true; });
    await s.start();
    await s.enqueue({ name: "hello" });
    for (let i = 0; i < 100 && !ran; i++) await new Promise((r) => setTimeout(r, 10));
    await s.stop();
    if (!ran) throw new Error("the job did not run");
    // One copy of each class for both entry points: an adapter's error is the application's.
    if (adapter.ConfigError !== sched.ConfigError || !(new adapter.StoreError("x", "y") instanceof sched.SchedulerError))
      throw new Error("@sched/core and @sched/core/adapter carry different error classes");`;
  writeFileSync(
    join(project, "core.cjs"),
    `const sched = require("@sched/core");\nconst adapter = require("@sched/core/adapter");\n(async () => {${job}\n console.log("require ok"); })().catch((e) => { console.error(e); process.exitCode = 1; });`,
  );
  writeFileSync(
    join(project, "core.mjs"),
    `import * as sched from "@sched/core";\nimport * as adapter from "@sched/core/adapter";\n${job}\nconsole.log("import ok");`,
  );
  console.log(
    `@sched/core: ${run("node", ["core.cjs"], project).trim()}, ${run("node", ["core.mjs"], project).trim()}`,
  );

  // @sched/middleware-otel: the same job with the middleware installed (no-op providers).
  const otelJob = job.replace('s.register("hello"', 's.use(otel.otel());\n    s.register("hello"');
  writeFileSync(
    join(project, "otel.cjs"),
    `const sched = require("@sched/core");\nconst adapter = require("@sched/core/adapter");\nconst otel = require("@sched/middleware-otel");\n(async () => {${otelJob}\n console.log("require ok"); })().catch((e) => { console.error(e); process.exitCode = 1; });`,
  );
  writeFileSync(
    join(project, "otel.mjs"),
    `import * as sched from "@sched/core";\nimport * as adapter from "@sched/core/adapter";\nimport * as otel from "@sched/middleware-otel";\n${otelJob}\nconsole.log("import ok");`,
  );
  console.log(
    `@sched/middleware-otel: ${run("node", ["otel.cjs"], project).trim()}, ${run("node", ["otel.mjs"], project).trim()}`,
  );

  // @sched/cli: the `sched` binary as npm linked it, on an (empty) memory store.
  const sched = join(project, "node_modules", ".bin", "sched");
  const listed = JSON.parse(run(sched, ["jobs", "list", "--json"], project));
  if (!Array.isArray(listed.jobs) || listed.nextCursor !== null)
    throw new Error(`sched jobs list --json printed ${JSON.stringify(listed)}`);
  console.log(`@sched/cli: sched ${run(sched, ["--version"], project).trim()} runs from the tarball`);

  for (const { pkg } of packages) {
    const cjs = run(
      "node",
      ["-e", `console.log(require.resolve(${JSON.stringify(pkg.name)}))`],
      project,
    ).trim();
    const esm = run(
      "node",
      ["--input-type=module", "-e", `console.log(import.meta.resolve(${JSON.stringify(pkg.name)}))`],
      project,
    ).trim();
    if (!cjs.endsWith(".cjs") || !esm.endsWith(".js"))
      throw new Error(`${pkg.name} resolves to ${cjs} / ${esm}`);
    console.log(
      `${pkg.name}: require → ${cjs.slice(cjs.indexOf("node_modules"))}, import → ${esm.slice(esm.indexOf("node_modules"))}`,
    );
  }
  console.log("pack check passed");
} finally {
  rmSync(work, { recursive: true, force: true });
}

/** Checks each tarball's package.json and README links; throws listing every problem found. */
function checkTarballs(packages, tarballs) {
  const versions = new Map(packages.map(({ pkg }) => [pkg.name, pkg.version]));
  const repoPaths = run("git", ["ls-files", "--cached", "--others", "--exclude-standard"], root)
    .split("\n")
    .filter(Boolean);
  const problems = [];
  packages.forEach(({ dir, pkg }, index) => {
    const tarball = tarballs[index];
    const files = run("tar", ["-tzf", tarball], work)
      .split("\n")
      .filter(Boolean)
      .map((path) => path.replace(/^package\//, ""));
    const packed = JSON.parse(run("tar", ["-xOzf", tarball, "package/package.json"], work));
    const found = [
      ...checkMetadata(packed, basename(dir)).map((problem) => `package.json: ${problem}`),
      ...checkSiblingRanges(packed, versions).map((problem) => `package.json: ${problem}`),
    ];
    if (files.includes("README.md")) {
      const readme = run("tar", ["-xOzf", tarball, "package/README.md"], work);
      found.push(
        ...checkReadmeLinks(readme, { dir: basename(dir), files, repoPaths }).map((p) => `README.md ${p}`),
      );
    } else {
      found.push("the tarball has no README.md");
    }
    for (const problem of found) problems.push(`${pkg.name}: ${problem}`);
  });
  if (problems.length > 0) {
    throw new Error(`packed packages have ${problems.length} problem(s):\n  ${problems.join("\n  ")}`);
  }
  console.log(`checked ${packages.length} tarballs: metadata, sibling ranges, README links`);
}
