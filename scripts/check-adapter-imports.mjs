// Checks that store and leader packages import core through its adapter surface only
// (`@sched/core/adapter`), so that the surface for applications can change without them.
import { adapterImportProblems } from "./adapter-imports.mjs";

const problems = adapterImportProblems("packages");
if (problems.length > 0) {
  for (const problem of problems) console.error(problem);
  process.exitCode = 1;
} else {
  console.log("adapter imports: every store and leader imports @sched/core/adapter only");
}
