/**
 * Parsers for option values, shared by the commands: each returns the parsed value or throws
 * commander's `InvalidArgumentError` (reported as `blox: option '--x <n>' argument 'y' is invalid. …`, exit 2).
 */
import { InvalidArgumentError } from 'commander';

const WHOLE = /^\s*[0-9]+\s*$/;
const DECIMAL = /^\s*(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*$/;

/** `1`, `2`, … */
export function positiveInteger(value: string): number {
  if (!WHOLE.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError('expected a whole number of at least 1.');
  }
  return Number(value);
}

/** `0`, `1`, … */
export function wholeNumber(value: string): number {
  if (!WHOLE.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError('expected a whole number.');
  }
  return Number(value);
}

/** A duration in seconds greater than 0, fractions allowed: `1`, `0.5`. */
export function positiveSeconds(value: string): number {
  const n = Number(value);
  if (!DECIMAL.test(value) || !(n > 0) || !Number.isFinite(n)) {
    throw new InvalidArgumentError('expected a number of seconds greater than 0 (e.g. 1 or 0.5).');
  }
  return n;
}

/** A duration in seconds, 0 or more, fractions allowed. */
export function nonNegativeSeconds(value: string): number {
  const n = Number(value);
  if (!DECIMAL.test(value) || !Number.isFinite(n)) {
    throw new InvalidArgumentError('expected a number of seconds (e.g. 0, 2 or 0.5).');
  }
  return n;
}
