/**
 * How the cluster query language reads the text of a value: whole numbers, agent versions,
 * registration dates and regex patterns. Shared by the parser (to refuse a malformed argument at
 * its position) and the evaluator (to compare it with an instance's facts). No `Date`: timestamps
 * become epoch milliseconds by arithmetic, so `domain/` stays clock-free.
 *
 * Worked examples:
 *
 * ```
 * parseCount('12')                         → 12           parseCount('1.5') → null
 * parseVersion('1.15.0')                   → ['1','15','0']
 * compareVersions('1.9.0', '1.15.0')       → -1           (component-wise, not string order)
 * compareVersions('1.15', '1.15.0')        → 0            (missing components count as 0)
 * parseArgumentDate('2018-06-18')          → 1529280000000 (midnight UTC)
 * parseArgumentDate('2018-06-18T22:28:28+02:00') → 1529353708000
 * parseArgumentDate('2018/06/18')          → null         (not one of the four documented forms)
 * parseFactDate('2018-06-18T22:28:28.123Z') → 1529360908123 (facts may carry fractions)
 * compilePattern('t2.*')                   → { ok: true, regex: /^(?:t2.*)$/ }
 * compilePattern('(?i)T2\\..*')            → { ok: true, regex: /^(?:T2\..*)$/i }
 * compilePattern('t2(')                    → { ok: false, reason: 'Unterminated group' }
 * ```
 */

/** `runningTasksCount` arguments: a non-negative whole number in decimal. */
export function parseCount(text: string): number | null {
  return /^\d+$/.test(text) ? Number(text) : null;
}

/** `agentVersion` arguments and facts: dot-separated whole numbers (`1.15.0`). */
export function parseVersion(text: string): string[] | null {
  return /^\d+(\.\d+)*$/.test(text) ? text.split('.') : null;
}

/** Compares two decimal digit strings of any length without losing precision. */
function compareDigits(a: string, b: string): number {
  const x = a.replace(/^0+(?=\d)/, '');
  const y = b.replace(/^0+(?=\d)/, '');
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Component-wise version order; a missing component counts as 0 (`1.15` equals `1.15.0`). */
export function compareVersions(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const c = compareDigits(a[i] ?? '0', b[i] ?? '0');
    if (c !== 0) return c;
  }
  return 0;
}

// ── Dates ───────────────────────────────────────────────────────────────────────────────────────

/** Days from 1970-01-01 to the given proleptic Gregorian date (Howard Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

const DATE_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})?)?$/;

function parseDate(text: string, allowFraction: boolean): number | null {
  const m = DATE_PATTERN.exec(text);
  if (!m) return null;
  const [, ys, mos, ds, hs, mis, ss, fraction, zone] = m;
  if (fraction !== undefined && !allowFraction) return null;
  const year = Number(ys);
  const month = Number(mos);
  const day = Number(ds);
  const hour = Number(hs ?? '0');
  const minute = Number(mis ?? '0');
  const second = Number(ss ?? '0');
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  let offsetMinutes = 0;
  if (zone !== undefined && zone !== 'Z') {
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(4, 6));
    if (oh > 23 || om > 59) return null;
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (oh * 60 + om);
  }
  const millis = fraction === undefined ? 0 : Number(`${fraction}00`.slice(0, 3));
  const seconds = daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offsetMinutes * 60;
  return seconds * 1000 + millis;
}

/**
 * `registeredAt` arguments, in exactly the forms the ECS guide lists: `2018-06-18T22:28:28+00:00`,
 * `2018-06-18T22:28:28Z`, `2018-06-18T22:28:28` and `2018-06-18`. No zone means UTC; a bare date
 * means its midnight UTC. Returns epoch milliseconds, or null.
 */
export function parseArgumentDate(text: string): number | null {
  return parseDate(text, false);
}

/** An instance's `registeredAt` (ISO-8601 as the SDK renders it; fractions of a second allowed). */
export function parseFactDate(text: string): number | null {
  return parseDate(text, true);
}

// ── Numbers (for attribute ordering) ────────────────────────────────────────────────────────────

/** A plain decimal number (`5`, `-2`, `0.5`): how `attribute:x > 5` decides to compare numerically. */
export function parseDecimal(text: string): number | null {
  return /^[+-]?\d+(\.\d+)?$/.test(text) ? Number(text) : null;
}

// ── Patterns ────────────────────────────────────────────────────────────────────────────────────

export type CompiledPattern = { ok: true; regex: RegExp } | { ok: false; reason: string };

/**
 * Compiles a `matches` argument. ECS patterns are `java.util.regex.Pattern` syntax and match the
 * whole value (`t2.*` selects `t2.micro`, not `xt2`), so the pattern is anchored: `^(?:p)$`. JS
 * RegExp stands in for Java's; they agree on the everyday subset (classes, `.`, `*`, `+`, `?`,
 * `{m,n}`, `|`, groups, `\d`/`\w`/`\s`). A leading Java inline flag group of `i`, `m`, `s` (e.g.
 * `(?i)`) becomes the JS flag. Java-only syntax that JS rejects (possessive quantifiers `a*+`,
 * atomic groups `(?>…)`) is refused as invalid; escapes JS reads differently (`\A`, `\Z`) are read
 * the JS way.
 */
export function compilePattern(pattern: string): CompiledPattern {
  let body = pattern;
  let flags = '';
  const inline = /^\(\?([ims]+)\)/.exec(body);
  if (inline?.[1] !== undefined) {
    flags = [...new Set(inline[1])].join('');
    body = body.slice(inline[0].length);
  }
  try {
    // Validate the user's pattern on its own first: a pattern like `a)|(b` is only "valid" once wrapped.
    new RegExp(body, flags);
    return { ok: true, regex: new RegExp(`^(?:${body})$`, flags) };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const reason = /: ([^:]+)$/.exec(message)?.[1] ?? message;
    return { ok: false, reason };
  }
}
