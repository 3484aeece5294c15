/** SQL files are imported as text: inlined by tsup's `text` loader, and by a plugin under vitest. */
declare module "*.sql" {
  const text: string;
  export default text;
}
