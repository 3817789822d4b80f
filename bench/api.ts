/**
 * Command latency through the real HTTP API (startLocalApi: the same handlers as the Lambda
 * functions) on DynamoDB Local, measured from the client: fetch to 127.0.0.1 until the whole
 * response body is read.
 *
 * Every measured request acts on its own environment, in the same state as the others, so the
 * samples are alike: `create` makes N environments, then each gets one `update` (revision 2 based
 * on 1), one `deploy` (of revision 2) and one `describe-status`. A warm-up round on separate
 * environments comes first (JIT, connection pool, DynamoDB Local's own warm-up). Requests are
 * sequential: this is latency, not throughput.
 */
import { startLocalApi } from '../local/api';
import { apiClient, benchSpec, envPath } from './http';
import type { BenchResult } from './stats';
import { percentile, progress, round, timed } from './stats';

export interface ApiBenchOptions {
  dynamoEndpoint: string;
  tableName: string;
  warmup: number;
  samples: number;
}

const OPERATIONS = ['create', 'update', 'deploy', 'describe_status'] as const;
type Operation = (typeof OPERATIONS)[number];

export async function apiBench(options: ApiBenchOptions): Promise<BenchResult[]> {
  const api = await startLocalApi({ dynamoEndpoint: options.dynamoEndpoint, tableName: options.tableName });
  try {
    const client = apiClient(api.url);
    const names = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `Bench/${prefix}-${String(i).padStart(5, '0')}`);
    const request: Record<Operation, (name: string) => Promise<unknown>> = {
      create: (name) => client.call('POST', '/environments', benchSpec(name)),
      update: (name) => client.call('POST', `${envPath(name)}/revisions`, { Revision: 1, TaskDefinition: 'd:2' }),
      deploy: (name) => client.call('POST', `${envPath(name)}/deployments`, { EnvironmentRevision: 2 }),
      describe_status: (name) => client.call('GET', `${envPath(name)}/status`),
    };

    const warmupNames = names('warmup', options.warmup);
    progress(`api: warm-up, ${options.warmup} requests of each command`);
    for (const op of OPERATIONS) for (const name of warmupNames) await request[op](name);

    const measuredNames = names('api', options.samples);
    const results: BenchResult[] = [];
    for (const op of OPERATIONS) {
      progress(`api: ${op}, ${options.samples} samples`);
      const samples: number[] = [];
      for (const name of measuredNames) samples.push(await timed(() => request[op](name)));
      const [p50, p99] = [percentile(samples, 0.5), percentile(samples, 0.99)];
      progress(`api: ${op} p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms`);
      results.push({ name: `api.${op}.p50`, value: round(p50), unit: 'ms' });
      results.push({ name: `api.${op}.p99`, value: round(p99), unit: 'ms' });
    }
    return results;
  } finally {
    await api.close();
  }
}
