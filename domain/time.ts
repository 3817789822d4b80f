/**
 * Timestamps without a clock: ISO-8601 UTC ⇄ epoch milliseconds, pure (the domain may not use
 * `Date`). Civil-date arithmetic after Howard Hinnant's `days_from_civil` / `civil_from_days`.
 *
 * msFromIso('1970-01-01T00:00:01.500Z') === 1500
 * isoFromMs(1500) === '1970-01-01T00:00:01.500Z'
 */
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(z: number): [number, number, number] {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/;

export function msFromIso(iso: string): number {
  const m = ISO.exec(iso);
  if (!m) throw new Error(`not an ISO-8601 UTC timestamp: ${iso}`);
  const days = daysFromCivil(Number(m[1]), Number(m[2]), Number(m[3]));
  const millis = Number((m[7] ?? '0').padEnd(3, '0').slice(0, 3));
  return ((days * 24 + Number(m[4])) * 60 + Number(m[5])) * 60_000 + Number(m[6]) * 1000 + millis;
}

export function isoFromMs(ms: number): string {
  const days = Math.floor(ms / 86_400_000);
  let rest = ms - days * 86_400_000;
  const [y, mo, d] = civilFromDays(days);
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const mi = Math.floor(rest / 60_000);
  rest -= mi * 60_000;
  const s = Math.floor(rest / 1000);
  const milli = rest - s * 1000;
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(y, 4)}-${p(mo)}-${p(d)}T${p(h)}:${p(mi)}:${p(s)}.${p(milli, 3)}Z`;
}
