import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The test examples of the README (its TypeScript blocks that declare a test with `it(`), run as
 * tests of this file: each is written out as a module, with `@sched/testing` read from this
 * package's source, and imported while this file is collected, so its `it()` calls are tests
 * here. An example that no longer holds fails here, not in a reader's project.
 */
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const readme = readFileSync(join(root, "README.md"), "utf8");
const examples = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)]
  .map((match) => match[1] as string)
  .filter((code) => /\bit\(/.test(code));

const out = join(root, "reports", "readme-examples");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const source = join(root, "src", "index.ts");
for (const [i, code] of examples.entries()) {
  const file = join(out, `example-${i + 1}.ts`);
  writeFileSync(file, code.replaceAll('from "@sched/testing"', `from ${JSON.stringify(source)}`));
  await import(file);
}

if (examples.length < 4) throw new Error(`expected the README's test examples, found ${examples.length}`);
