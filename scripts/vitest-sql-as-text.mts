import type { Plugin } from "vitest/config";

/**
 * Imports `.sql` files as their text under vitest, as tsup's `text` loader does in the builds of
 * `@sched/store-postgres` and `@sched/leader-postgres`.
 */
export const sqlAsText: Plugin = {
  name: "sql-as-text",
  transform(code, id) {
    if (!id.endsWith(".sql")) return null;
    return { code: `export default ${JSON.stringify(code)};`, map: null };
  },
};
