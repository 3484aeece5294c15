import type { Db } from "mongodb";

/** What a deployment supports, read from its `hello` answer. */
export interface DeploymentFeatures {
  /** `replicaSet` (a `setName`), `sharded` (a `mongos`) or `standalone`. */
  readonly topology: "replicaSet" | "sharded" | "standalone";
  /** Multi-document transactions: a replica set or a sharded cluster. */
  readonly transactions: boolean;
  /** Change streams: a replica set or a sharded cluster. */
  readonly changeStreams: boolean;
  /** The server's wire version (`maxWireVersion`), 0 when not given; 17 is MongoDB 6.0. */
  readonly maxWireVersion: number;
}

/**
 * Asks the deployment what it is (`hello`). A standalone server has neither transactions nor
 * change streams; a replica set and a sharded cluster have both.
 *
 * @throws what the driver throws (callers wrap it with `storeError`).
 */
export async function probeDeployment(db: Db): Promise<DeploymentFeatures> {
  const hello = (await db.admin().command({ hello: 1 })) as {
    setName?: unknown;
    msg?: unknown;
    maxWireVersion?: unknown;
  };
  const topology =
    typeof hello.setName === "string" && hello.setName !== ""
      ? "replicaSet"
      : hello.msg === "isdbgrid"
        ? "sharded"
        : "standalone";
  const replicated = topology !== "standalone";
  return {
    topology,
    transactions: replicated,
    changeStreams: replicated,
    maxWireVersion: typeof hello.maxWireVersion === "number" ? hello.maxWireVersion : 0,
  };
}
