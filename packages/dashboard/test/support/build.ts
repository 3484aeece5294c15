// Builds the package once before the tests, so they load the bundled UI and dist/index.js as a
// user's server does.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export default function setup(): void {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  execFileSync("node", ["scripts/build-ui.mjs"], { cwd: root, stdio: "inherit" });
  execFileSync("npx", ["tsup", "--silent"], { cwd: root, stdio: "inherit" });
}
