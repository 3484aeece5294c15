/** The limits of a pool's statements, in ms; `0` for none. */
export interface StatementLimits {
  /** Opening a connection, or waiting for a pooled one (`connectionTimeoutMillis`). */
  readonly connectMs: number;
  /** One statement on the server (`statement_timeout`, which also frees its locks). */
  readonly statementMs: number;
  /** One statement as the client waits for it (`query_timeout`). */
  readonly queryMs: number;
}
