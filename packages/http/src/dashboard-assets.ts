/** A static file of the dashboard. */
export interface DashboardAsset {
  body: Uint8Array;
  /** Its media type, such as `text/html; charset=utf-8`. */
  type: string;
}

/** The dashboard's files by path (`/index.html`, `/assets/app.js`). */
export type DashboardAssets = Map<string, DashboardAsset>;

/** Where the dashboard comes from: its files, a function that loads them, or `@sched/dashboard`. */
export type AssetSource = DashboardAssets | (() => Promise<DashboardAssets>);

// A variable, so that bundlers and the type checker leave the optional package alone.
const DASHBOARD_PACKAGE = "@sched/dashboard";

/**
 * Loads the dashboard's files once, on first use: from `source` when given, else from the
 * optional `@sched/dashboard` package. Resolves to `null` when that package is not installed.
 */
export function dashboardLoader(source: AssetSource | undefined): () => Promise<DashboardAssets | null> {
  let loading: Promise<DashboardAssets | null> | undefined;
  return () => {
    loading ??= load(source).catch(() => {
      loading = undefined;
      return null;
    });
    return loading;
  };
}

async function load(source: AssetSource | undefined): Promise<DashboardAssets | null> {
  if (source instanceof Map) return source;
  if (typeof source === "function") return source();
  let module: { dashboardAssets?: () => Promise<DashboardAssets> };
  try {
    module = (await import(DASHBOARD_PACKAGE)) as typeof module;
  } catch {
    return null;
  }
  return typeof module.dashboardAssets === "function" ? module.dashboardAssets() : null;
}
