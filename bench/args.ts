/** Small helpers shared by the benchmarks and the training scripts. */

/** The value after `--name` on the command line, if given. */
export function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** Rounded for JSON output. */
export function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
