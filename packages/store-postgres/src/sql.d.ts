/** SQL files are imported as text: inlined by tsup's `text` loader, and by a plugin under vitest. */
declare module "*.sql" {
  const text: string;
  export default text;
}

/** pg-types' default text parsers (CommonJS, no types of its own): `init` registers each by type oid. */
declare module "pg-types/lib/textParsers.js" {
  const textParsers: {
    init(register: (oid: number, parse: (value: string) => unknown) => void): void;
  };
  export default textParsers;
}
