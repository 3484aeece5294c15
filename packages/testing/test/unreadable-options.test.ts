import { ConfigError } from "@sched/core";
import { describe, expect, it } from "vitest";
import { UNREADABLE_MESSAGE, unreadableOptions, unreadableRefusals } from "../src/index.js";

describe("unreadableOptions", () => {
  it("gives a copy of base with a throwing getter, and a proxy whose traps throw", () => {
    const base = { url: "x" };
    const [[getterLabel, getter], [proxyLabel, proxy]] = unreadableOptions(base) as unknown as [
      [string, Record<string, unknown>],
      [string, Record<string, unknown>],
    ];
    expect(getterLabel).toMatch(/getter/);
    expect(proxyLabel).toMatch(/proxy/);
    expect(getter.url).toBe("x");
    expect(() => getter.unreadable).toThrow(UNREADABLE_MESSAGE);
    expect(() => proxy.url).toThrow(UNREADABLE_MESSAGE);
    expect(() => Object.keys(proxy)).toThrow(UNREADABLE_MESSAGE);
    expect(base).toEqual({ url: "x" });
  });
});

describe("unreadableRefusals", () => {
  it("returns what make threw for each variant, sync or async", async () => {
    const refuse = () => {
      throw new ConfigError("options", "could not be read");
    };
    const refusals = await unreadableRefusals(refuse, { a: 1 });
    expect(refusals).toHaveLength(2);
    for (const [, err] of refusals) expect(err).toBeInstanceOf(ConfigError);
    const rejected = await unreadableRefusals(async () => Promise.reject(new ConfigError("x", "no")), {});
    expect(rejected.map(([, err]) => (err as ConfigError).code)).toEqual([
      "CONFIG_INVALID",
      "CONFIG_INVALID",
    ]);
  });

  it("fails when make accepts the options, lets the caller's error out, or repeats its message", async () => {
    await expect(unreadableRefusals(() => 1, { a: 1 })).rejects.toThrow(/the options were accepted/);
    // Reading the options the way a careless constructor does lets the caller's error out.
    await expect(
      unreadableRefusals((options) => Object.keys(options).map((k) => (options as never)[k]), { a: 1 }),
    ).rejects.toThrow(/the caller's error came out/);
    await expect(
      unreadableRefusals(() => {
        throw new ConfigError("options", `bad: ${UNREADABLE_MESSAGE}`);
      }, {}),
    ).rejects.toThrow(/its message was repeated/);
  });
});
