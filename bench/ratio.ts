/**
 * Does describe-status depend on the length of the log? `GET /environments/{name}/status` (without
 * `all=true`) is one GetItem of the projection, so its p99 should be the same for an environment
 * with 10 events as for one with 10,000 (target: ratio ≤ 1.5).
 *
 * Both environments share one table and one API server, have the same live set (see
 * bench/history.ts) and are measured interleaved — each pair of requests in a random order — so
 * that drift (GC, JIT, DynamoDB Local) hits both alike.
 *
 * `?all=true` also reads the whole revision table (a third of the log is updates), so it is
 * expected to grow with the history; it is reported, not judged.
 */
import { parseEnvironmentSpec } from '../domain/spec';
import { startLocalApi } from '../local/api';
import { buildHistory } from './history';
import { apiClient, benchSpec, envPath } from './http';
import type { BenchResult } from './stats';
import { percentile, progress, round, timed } from './stats';

export interface RatioBenchOptions {
  dynamoEndpoint: string;
  tableName: string;
  /** Events in the long history (10,000 in the full run). */
  longEvents: number;
  /** Events in the short history. */
  shortEvents: number;
  warmup: number;
  /** Samples of GET …/status per environment. */
  samples: number;
  /** Samples of GET …/status?all=true per environment. */
  allSamples: number;
}

/** Measures `a` and `b` alternately, each pair in a random order; returns both sample sets. */
async function interleaved(count: number, a: () => Promise<unknown>, b: () => Promise<unknown>): Promise<[number[], number[]]> {
  const as: number[] = [];
  const bs: number[] = [];
  for (let i = 0; i < count; i++) {
    if (Math.random() < 0.5) {
      as.push(await timed(a));
      bs.push(await timed(b));
    } else {
      bs.push(await timed(b));
      as.push(await timed(a));
    }
  }
  return [as, bs];
}

export async function ratioBench(options: RatioBenchOptions): Promise<BenchResult[]> {
  const { longEvents, shortEvents } = options;
  const api = await startLocalApi({ dynamoEndpoint: options.dynamoEndpoint, tableName: options.tableName });
  try {
    const client = apiClient(api.url);
    const shortName = `Bench/events-${shortEvents}`;
    const longName = `Bench/events-${longEvents}`;

    progress(`ratio: building histories of ${shortEvents} and ${longEvents} events`);
    const started = performance.now();
    const [short, long] = await Promise.all([
      buildHistory(api.eventLog, parseEnvironmentSpec(benchSpec(shortName)), shortEvents),
      buildHistory(api.eventLog, parseEnvironmentSpec(benchSpec(longName)), longEvents, (done) =>
        progress(`ratio: ${done}/${longEvents} events appended`),
      ),
    ]);
    const seconds = (performance.now() - started) / 1000;
    progress(
      `ratio: built in ${seconds.toFixed(1)} s (${((seconds * 1000) / longEvents).toFixed(2)} ms per event); ` +
        `${short.version} events/${short.latestRevision} revisions vs ${long.version} events/${long.latestRevision} revisions`,
    );
    if (short.version !== shortEvents || long.version !== longEvents) {
      throw new Error(`histories have ${short.version} and ${long.version} events, expected ${shortEvents} and ${longEvents}`);
    }

    const status = (name: string, all: boolean) => () => client.call('GET', `${envPath(name)}/status${all ? '?all=true' : ''}`);
    const rows = async (name: string, all: boolean) => ((await status(name, all)()) as { Revisions: unknown[] }).Revisions.length;
    progress(
      `ratio: status rows ${await rows(shortName, false)} vs ${await rows(longName, false)}; ` +
        `all=true rows ${await rows(shortName, true)} vs ${await rows(longName, true)}`,
    );

    progress(`ratio: warm-up, ${options.warmup} pairs`);
    await interleaved(options.warmup, status(shortName, false), status(longName, false));
    progress(`ratio: GET …/status, ${options.samples} interleaved samples each`);
    const [shortSamples, longSamples] = await interleaved(options.samples, status(shortName, false), status(longName, false));
    const shortP99 = percentile(shortSamples, 0.99);
    const longP99 = percentile(longSamples, 0.99);
    progress(
      `ratio: p50 ${percentile(shortSamples, 0.5).toFixed(2)} vs ${percentile(longSamples, 0.5).toFixed(2)} ms, ` +
        `p99 ${shortP99.toFixed(2)} vs ${longP99.toFixed(2)} ms`,
    );

    progress(`ratio: GET …/status?all=true, ${options.allSamples} interleaved samples each`);
    await interleaved(Math.min(options.warmup, 5), status(shortName, true), status(longName, true));
    const [shortAll, longAll] = await interleaved(options.allSamples, status(shortName, true), status(longName, true));

    return [
      { name: `describe_status.p99.events_${shortEvents}`, value: round(shortP99), unit: 'ms' },
      { name: `describe_status.p99.events_${longEvents}`, value: round(longP99), unit: 'ms' },
      { name: `describe_status.p99_ratio_${longEvents}_vs_${shortEvents}`, value: round(longP99 / shortP99), unit: 'ratio' },
      { name: `describe_status_all.p99.events_${shortEvents}`, value: round(percentile(shortAll, 0.99)), unit: 'ms' },
      { name: `describe_status_all.p99.events_${longEvents}`, value: round(percentile(longAll, 0.99)), unit: 'ms' },
    ];
  } finally {
    await api.close();
  }
}
