/** Command-line options of the data preparation scripts. */

/**
 * Reader of `--name value` options from argv: undefined when the option is absent, an error when it has no
 * value.
 */
export function optionReader(argv: string[]): (name: string) => string | undefined {
  return (name) => {
    const i = argv.indexOf(name);
    if (i < 0) return undefined;
    const v = argv[i + 1];
    if (v === undefined || v.startsWith("--")) throw new Error(`${name} needs a value`);
    return v;
  };
}
