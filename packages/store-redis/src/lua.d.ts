/** Lua scripts are inlined as text at build time (tsup `loader`, and a vitest plugin in tests). */
declare module "*.lua" {
  const source: string;
  export default source;
}
