/** Lua files are imported as text: inlined by tsup's `text` loader, and by a plugin under vitest. */
declare module "*.lua" {
  const text: string;
  export default text;
}
