import fc from 'fast-check';
import { expect, it } from 'vitest';
import { isoFromMs, msFromIso } from '../../domain/time';

it('agrees with Date for any instant from 1970 to 2200, both ways', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 7_258_118_400_000 }), (ms) => {
      const iso = new Date(ms).toISOString();
      expect(isoFromMs(ms)).toBe(iso);
      expect(msFromIso(iso)).toBe(ms);
    }),
    { numRuns: 5000 },
  );
  expect(msFromIso('2017-09-06T11:47:23Z')).toBe(Date.parse('2017-09-06T11:47:23Z'));
  expect(() => msFromIso('yesterday')).toThrow();
});
