// Checks every changeset file: front matter of `"<package>": major|minor|patch` lines naming
// published workspace packages, then a summary. A malformed file would break `changeset version`.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const published = new Set(
  readdirSync("packages")
    .map((dir) => JSON.parse(readFileSync(join("packages", dir, "package.json"), "utf8")))
    .filter((pkg) => !pkg.private)
    .map((pkg) => pkg.name),
);
const problems = [];
const files = readdirSync(".changeset").filter((f) => f.endsWith(".md") && f !== "README.md");
for (const file of files) {
  const text = readFileSync(join(".changeset", file), "utf8");
  const match = /^---\n([\s\S]*?)\n---\n\s*(\S[\s\S]*)$/.exec(text);
  if (!match) {
    problems.push(`${file}: expected front matter between two "---" lines, then a summary`);
    continue;
  }
  for (const line of match[1].split("\n")) {
    const entry = /^"([^"]+)": (major|minor|patch)$/.exec(line);
    if (!entry) problems.push(`${file}: bad front matter line ${JSON.stringify(line)}`);
    else if (!published.has(entry[1])) problems.push(`${file}: ${entry[1]} is not a published package`);
  }
}
if (problems.length > 0) {
  for (const problem of problems) console.error(problem);
  process.exitCode = 1;
} else {
  console.log(`changesets: ${files.length} valid`);
}
