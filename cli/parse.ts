import { InvalidArgumentError } from 'commander';

/** Accumulates a repeatable option (`--role a --role b`). */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Parser of an option that must be a positive integer; commander reports the error with the option name. */
export function positiveInt(option: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0)
      throw new InvalidArgumentError(`${option} must be a positive integer, got '${value}'.`);
    return n;
  };
}
