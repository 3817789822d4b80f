/** `blox plan-deployment`, in process: argv → the request to a fake API → stdout, stderr, exit code. */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DeploymentPlan } from '../../cli/client';
import { main } from '../../cli/main';
import { notFound, startFakeApi, type FakeApi } from './fake-api';

let api: FakeApi;
beforeAll(async () => {
  api = await startFakeApi();
});
afterAll(() => api.close());
beforeEach(() => {
  api.requests.length = 0;
  api.handle(notFound);
});

async function blox(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    stdin: Readable.from([]),
    stdinIsTTY: true,
    env: { BLOX_API_URL: api.url },
  });
  return { code, stdout, stderr };
}

const PLAN: DeploymentPlan = {
  EnvironmentName: 'Fleet/Logs',
  EnvironmentRevision: 3,
  ActiveRevision: 2,
  DeploymentType: 'Daemon',
  Method: 'Replace',
  Completes: true,
  EstimatedDurationSeconds: 20.47,
  DesiredCount: 5,
  LowestReadyCount: 4,
  LowestReadyPercent: 80,
  MostExtraTasks: 0,
  Steps: [
    { AtSeconds: 0, Kind: 'Wave', Launches: 0, Stops: 1 },
    { AtSeconds: 1.1, Kind: 'Wave', Launches: 1, Stops: 0 },
    { AtSeconds: 9, Kind: 'Bake' },
  ],
  Seed: {
    Instances: 5,
    TaskNeeds: { Cpu: 512, Memory: 1024, HealthCheck: true },
    Headroom: { MostOnOneInstance: 3, LeastOnOneInstance: 3, Total: 15 },
    Timings: {
      StartSeconds: 2,
      ReadySeconds: 1.04,
      StopSeconds: 30,
      Sources: { start: 'observed', ready: 'observed', stop: 'default' },
      Samples: { start: 10, ready: 5, stop: 0 },
    },
  },
  Assumptions: ['the watched alarms stay OK'],
};

describe('plan-deployment', () => {
  it('asks GET /environments/{name}/plan?revision=N (the name encoded) and prints the plan as JSON', async () => {
    api.handle(() => ({ status: 200, body: PLAN }));
    const result = await blox(['plan-deployment', '--environment-name', 'Fleet/Logs', '--environment-revision', '3']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual(PLAN);
    expect(api.requests).toHaveLength(1);
    expect(api.requests[0]).toMatchObject({ method: 'GET', path: '/environments/Fleet%2FLogs/plan' });
    expect(api.requests[0]!.query.get('revision')).toBe('3');
  });

  it('--table: the estimate, the timings with where they come from, the assumptions, then one line per step', async () => {
    api.handle(() => ({ status: 200, body: PLAN }));
    const result = await blox(['plan-deployment', '--environment-name', 'Fleet/Logs', '--environment-revision', '3', '--table']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        'Fleet/Logs:3 (Daemon Replace, from Active 2)',
        'Estimated duration   20.47 s',
        'Lowest ready         4 of 5 (80 %)',
        'Most extra tasks     0',
        'Timings              start 2 s (observed), ready 1.04 s (observed), stop 30 s (default)',
        'Assuming             the watched alarms stay OK',
        '',
        'AT (S)    STEP      CHANGE',
        '0         Wave      stop 1',
        '1.1       Wave      launch 1',
        '9         Bake      bake (alarms watched)',
        '',
      ].join('\n'),
    );
  });

  it("a plan that would not complete says why in the table's duration line", async () => {
    api.handle(() => ({ status: 200, body: { ...PLAN, Completes: false, Reason: 'the deployment would be Failing: no room', Steps: [], Assumptions: [] } }));
    const result = await blox(['plan-deployment', '--environment-name', 'Fleet/Logs', '--environment-revision', '3', '--table']);
    expect(result.stdout).toContain('Estimated duration   20.47 s — does not complete: the deployment would be Failing: no room\n');
  });

  it('the API refusing (an unknown revision) is one line on stderr and exit code 1', async () => {
    api.handle(() => ({ status: 404, body: { error: { code: 'NotFound', message: 'revision: revision 9 of "Fleet/Logs" does not exist (the latest is 3)' } } }));
    const result = await blox(['plan-deployment', '--environment-name', 'Fleet/Logs', '--environment-revision', '9']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('revision: revision 9 of "Fleet/Logs" does not exist');
  });

  it('a missing or malformed flag is a usage error (exit 2) naming it, and nothing is asked', async () => {
    const missing = await blox(['plan-deployment', '--environment-name', 'Fleet/Logs']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--environment-revision');
    const noName = await blox(['plan-deployment', '--environment-revision', '3']);
    expect(noName.code).toBe(2);
    expect(noName.stderr).toContain('--environment-name');
    const malformed = await blox(['plan-deployment', '--environment-name', 'Fleet/Logs', '--environment-revision', 'three']);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('--environment-revision');
    expect(api.requests).toHaveLength(0);
  });
});
