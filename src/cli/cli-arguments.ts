import { InvalidArgumentError } from 'commander';

/** Option parsers: a bad value becomes a commander usage error (exit code 2). */
export function integerArgument(name: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (raw: string): number => {
    if (!/^\d+$/.test(raw)) throw new InvalidArgumentError(`${name} must be a whole number.`);
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(`${name} must be between ${min} and ${max}.`);
    }
    return value;
  };
}
