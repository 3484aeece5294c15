import { ConfigError, describeValue } from "@sched/core/adapter";
import type { Cluster, Redis } from "ioredis";
import acquireLease from "./scripts/acquire-lease.lua";
import releaseLease from "./scripts/release-lease.lua";
import renewLease from "./scripts/renew-lease.lua";

/** A key prefix: the characters `SCHEDULER_REDIS_KEY_PREFIX` allows (no braces: they would change the hash tag). */
const KEY_PREFIX = /^[A-Za-z0-9_.:-]{0,100}$/;

/**
 * The command names the scripts are defined under on the client. Namespaced, since the client may
 * be the user's (or the store's) and carry commands of its own.
 */
const COMMANDS = {
  acquire: "schedLeaderAcquireLease",
  renew: "schedLeaderRenewLease",
  release: "schedLeaderReleaseLease",
} as const;

/** The two keys of one leadership. */
export interface LeaseKeys {
  /** Holds the current leadership's token, with the TTL as its expiry. */
  readonly lease: string;
  /** The term counter, raised by every new leadership; never expires. */
  readonly term: string;
}

/**
 * Builds the keys of the leadership `name`: `<prefix>{leader:<name>}:lease` and `:term`. Both
 * share the hash tag `{leader:<name>}` (never empty, whatever the name), so on a Cluster they
 * live in one slot and one script can write both.
 *
 * @throws ConfigError when `keyPrefix` holds other characters than letters, digits and `_ . : -`.
 */
export function leaseKeys(keyPrefix: string, name: string): LeaseKeys {
  if (typeof keyPrefix !== "string" || !KEY_PREFIX.test(keyPrefix)) {
    throw new ConfigError(
      "keyPrefix",
      `expected 0-100 characters from A-Z a-z 0-9 _ . : -, got ${describeValue(keyPrefix)}`,
    );
  }
  const tagged = `${keyPrefix}{leader:${name}}`;
  return { lease: `${tagged}:lease`, term: `${tagged}:term` };
}

/** The lease scripts, callable on a client once {@link defineLeaseScripts} has run. */
export interface LeaseScripts {
  /** Runs `acquire-lease.lua`: the new term, or 0 when another holder's lease is unexpired. */
  acquire(
    keys: LeaseKeys,
    token: string,
    ttlMs: number,
    previousToken: string,
    termFloor: number,
  ): Promise<number>;
  /** Runs `renew-lease.lua`: whether the lease still held `token` and was extended. */
  renew(keys: LeaseKeys, token: string, ttlMs: number): Promise<boolean>;
  /** Runs `release-lease.lua`: whether the lease held `token` and was deleted. */
  release(keys: LeaseKeys, token: string): Promise<boolean>;
}

type ScriptCommand = (...args: Array<string | number>) => Promise<unknown>;

/**
 * Defines the three scripts on `client` (ioredis `defineCommand`): each is sent with `EVALSHA`,
 * and loaded with `EVAL` once per connection that does not know it yet. Defining them again on a
 * client that has them is harmless.
 */
export function defineLeaseScripts(client: Redis | Cluster): LeaseScripts {
  client.defineCommand(COMMANDS.acquire, { numberOfKeys: 2, lua: acquireLease });
  client.defineCommand(COMMANDS.renew, { numberOfKeys: 1, lua: renewLease });
  client.defineCommand(COMMANDS.release, { numberOfKeys: 1, lua: releaseLease });
  const commands = client as unknown as Record<(typeof COMMANDS)[keyof typeof COMMANDS], ScriptCommand>;
  return {
    async acquire(keys, token, ttlMs, previousToken, termFloor) {
      return Number(
        await commands[COMMANDS.acquire](keys.lease, keys.term, token, ttlMs, previousToken, termFloor),
      );
    },
    async renew(keys, token, ttlMs) {
      return Number(await commands[COMMANDS.renew](keys.lease, token, ttlMs)) === 1;
    },
    async release(keys, token) {
      return Number(await commands[COMMANDS.release](keys.lease, token)) === 1;
    },
  };
}
