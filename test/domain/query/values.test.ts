import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  compareVersions,
  compilePattern,
  parseArgumentDate,
  parseCount,
  parseDecimal,
  parseFactDate,
  parseVersion,
} from '../../../domain/query/values';

describe('values: the worked examples of values.ts', () => {
  it('reads counts and versions', () => {
    expect(parseCount('12')).toBe(12);
    expect(parseCount('1.5')).toBeNull();
    expect(parseCount('')).toBeNull();
    expect(parseVersion('1.15.0')).toEqual(['1', '15', '0']);
    expect(parseVersion('1.15.')).toBeNull();
    expect(compareVersions(['1', '9', '0'], ['1', '15', '0'])).toBe(-1);
    expect(compareVersions(['1', '15'], ['1', '15', '0'])).toBe(0);
    expect(compareVersions(['2'], ['1', '99'])).toBe(1);
    expect(compareVersions(['007'], ['7'])).toBe(0);
    expect(compareVersions(['123456789012345678901234567890'], ['123456789012345678901234567891'])).toBe(-1);
    expect(parseDecimal('-2.5')).toBe(-2.5);
    expect(parseDecimal('1e3')).toBeNull();
  });

  it('reads the documented registeredAt forms, and only those, as arguments', () => {
    expect(parseArgumentDate('2018-06-18')).toBe(1529280000000);
    expect(parseArgumentDate('2018-06-18T22:28:28+02:00')).toBe(1529353708000);
    expect(parseArgumentDate('2018-06-18T22:28:28Z')).toBe(Date.UTC(2018, 5, 18, 22, 28, 28));
    expect(parseArgumentDate('2018-06-18T22:28:28')).toBe(Date.UTC(2018, 5, 18, 22, 28, 28));
    expect(parseArgumentDate('2018-06-18T22:28:28+00:00')).toBe(Date.UTC(2018, 5, 18, 22, 28, 28));
    for (const bad of ['2018/06/18', '2018-6-18', '2018-06-18T22:28', '2018-06-18T22:28:28.5Z', '2018-13-01', '2019-02-29', '2018-06-18T24:00:00', '2018-06-18T22:28:28+0200', '']) {
      expect(parseArgumentDate(bad), bad).toBeNull();
    }
    expect(parseArgumentDate('2020-02-29')).toBe(Date.UTC(2020, 1, 29));
    expect(parseArgumentDate('2000-02-29')).toBe(Date.UTC(2000, 1, 29));
    expect(parseArgumentDate('1900-02-29')).toBeNull();
  });

  it('reads fact timestamps with fractions', () => {
    expect(parseFactDate('2018-06-18T22:28:28.123Z')).toBe(1529360908123);
    expect(parseFactDate('2018-06-18T22:28:28.29Z')).toBe(Date.UTC(2018, 5, 18, 22, 28, 28, 290));
    expect(parseFactDate('2018-06-18T22:28:28.123456789-01:00')).toBe(Date.UTC(2018, 5, 18, 23, 28, 28, 123));
  });

  it('agrees with Date.UTC on every day of 1600–2400', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date(Date.UTC(1600, 0, 1)), max: new Date(Date.UTC(2400, 11, 31, 23, 59, 59)), noInvalidDate: true }),
        (d) => {
          const iso = d.toISOString(); // YYYY-MM-DDTHH:mm:ss.sssZ
          expect(parseFactDate(iso)).toBe(d.getTime());
          expect(parseArgumentDate(iso.slice(0, 10))).toBe(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('compiles patterns anchored, with Java inline flags', () => {
    const t2 = compilePattern('t2.*');
    expect(t2.ok && t2.regex.source).toBe('^(?:t2.*)$');
    const ci = compilePattern('(?i)T2\\..*');
    expect(ci.ok && [ci.regex.source, ci.regex.flags]).toEqual(['^(?:T2\\..*)$', 'i']);
    expect(compilePattern('t2(')).toEqual({ ok: false, reason: 'Unterminated group' });
    expect(compilePattern('a)|(b').ok).toBe(false);
    const alt = compilePattern('a|b');
    expect(alt.ok && ['a', 'b', 'ab'].map((s) => alt.regex.test(s))).toEqual([true, true, false]);
  });
});
