import { readdir, readFile } from "node:fs/promises";
import { extname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** One static file of the dashboard: its bytes and the `Content-Type` to serve it with. */
export interface DashboardAsset {
  /** The file's content. */
  body: Uint8Array;
  /** The media type, with `charset=utf-8` for text (`"text/javascript; charset=utf-8"`). */
  type: string;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
};

let loaded: Promise<Map<string, DashboardAsset>> | undefined;

/**
 * The dashboard's static files, built into this package at build time, keyed by the URL path
 * each is served at relative to the dashboard's root: `"/index.html"`, `"/assets/app.js"`,
 * `"/assets/app.css"`. The page loads nothing else (no CDN); it asks the user for a token and
 * talks to the JSON API under `api/` beside it (see @sched/http). Nothing in the files is secret,
 * so they may be served without authentication.
 *
 * The files are read once; later calls return the same map (do not mutate it).
 *
 * @returns A map from path to file.
 * @throws Error (Node's `ENOENT`, as `cause`) when the package was installed without its built
 *   files, which a published package always has.
 */
export function dashboardAssets(): Promise<Map<string, DashboardAsset>> {
  loaded ??= readAssets(fileURLToPath(new URL("./ui/", import.meta.url))).catch((error: unknown) => {
    loaded = undefined;
    throw new Error("@sched/dashboard: the built UI files are missing (dist/ui); build the package first", {
      cause: error,
    });
  });
  return loaded;
}

/**
 * Reads every file under `root` (a built UI folder) as a dashboard asset. @internal
 *
 * @throws Error when `root` holds no `index.html`, or what `fs` throws.
 */
export async function readAssets(root: string): Promise<Map<string, DashboardAsset>> {
  const assets = new Map<string, DashboardAsset>();
  for (const file of await listFiles(root)) {
    const path = `/${relative(root, file).split(sep).join("/")}`;
    const body = new Uint8Array(await readFile(file));
    assets.set(path, { body, type: TYPES[extname(file)] ?? "application/octet-stream" });
  }
  if (!assets.has("/index.html")) throw new Error(`no index.html in ${root}`);
  return assets;
}

async function listFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(path)));
    else if (entry.isFile()) files.push(path);
  }
  return files.sort();
}
