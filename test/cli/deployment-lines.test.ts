/**
 * What `--table` and `--watch` show of a deployment in progress under their tables (cli/format.ts
 * `formatDeploymentLines`): the traffic step and weights, a pause's or the bake's end, the pause of
 * pause-deployment, the hooks in progress. Pure formatting first, then the commands against a fake API.
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DeploymentInfo, EnvironmentDescription, EnvironmentStatus, TrafficInfo } from '../../cli/client';
import { clockTime, formatDeploymentLines, formatEnvironmentTable, formatStatusTable } from '../../cli/format';
import { main } from '../../cli/main';
import { notFound, startFakeApi, type FakeApi, type Handler } from './fake-api';

const NAME = 'Web/Prod';
const PATH = '/environments/Web%2FProd';
const TG_BLUE = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-blue/0123456789abcdef';
const TG_GREEN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-green/fedcba9876543210';
const iso = (clock: string, day = '01') => `2026-12-${day}T${clock}.000Z`;

function traffic(overrides: Partial<TrafficInfo> = {}): TrafficInfo {
  return {
    Routing: 'Alb',
    Strategy: 'Canary',
    Step: '3/5',
    StepDescription: 'SetWeight 50',
    StepStartedAt: iso('12:02:00'),
    Weights: [
      { TargetGroupName: 'web-blue', TargetGroupArn: TG_BLUE, Weight: 50 },
      { TargetGroupName: 'web-green', TargetGroupArn: TG_GREEN, Weight: 50 },
    ],
    InEffect: true,
    Change: null,
    PauseEndsAt: null,
    ...overrides,
  };
}

function deployment(overrides: Partial<DeploymentInfo> = {}): DeploymentInfo {
  return { DeploymentId: `${NAME}:2@2026120112000000`, Revision: 2, Kind: 'deploy', StartedAt: iso('12:00:00'), Phase: 'Rolling', Paused: null, BakeEndsAt: null, Traffic: null, Hooks: [], ...overrides };
}

describe('clockTime', () => {
  it.each([
    ['the same day as the deployment started: the time of day', iso('12:05:00'), iso('11:58:00'), '12:05:00Z'],
    ['milliseconds dropped', '2026-12-01T12:05:00.250Z', iso('11:58:00'), '12:05:00Z'],
    ['another day: the whole date and time', iso('00:05:00', '02'), iso('23:58:00'), '2026-12-02T00:05:00Z'],
    ['no reference: the whole date and time', iso('12:05:00'), undefined, '2026-12-01T12:05:00Z'],
    ['not a UTC ISO time: as given', 'soon', iso('12:00:00'), 'soon'],
  ])('%s', (_name, time, reference, expected) => {
    expect(clockTime(time, reference)).toBe(expected);
  });
});

describe('formatDeploymentLines', () => {
  const cases: Array<[string, DeploymentInfo | null, string[]]> = [
    ['no deployment: nothing', null, []],
    ['a deployment with nothing to add (Rolling, no traffic, no pause): nothing', deployment(), []],
    ['a SetWeight step, in effect', deployment({ Traffic: traffic() }), ['Traffic: step 3/5 SetWeight 50 · web-blue 50 % / web-green 50 % · in effect']],
    [
      'a timed Pause step: when it ends',
      deployment({ Traffic: traffic({ Step: '2/5', StepDescription: 'Pause 300 s', PauseEndsAt: iso('12:06:00') }) }),
      ['Traffic: step 2/5 Pause 300 s · web-blue 50 % / web-green 50 % · in effect', 'Pause ends 12:06:00Z'],
    ],
    [
      'a Pause {} step: until promote-deployment',
      deployment({ Traffic: traffic({ Step: '4/5', StepDescription: 'Pause until promoted', PauseEndsAt: 'until promote-deployment' }) }),
      ['Traffic: step 4/5 Pause until promoted · web-blue 50 % / web-green 50 % · in effect', 'Pause until promote-deployment'],
    ],
    [
      'Route 53: a change still PENDING is not in effect yet',
      deployment({ Traffic: traffic({ Routing: 'Route53', Step: '1/5', StepDescription: 'SetWeight 10', Weights: [{ TargetGroupName: 'web-a', TargetGroupArn: TG_BLUE, Weight: 90 }, { TargetGroupName: 'web-b', TargetGroupArn: TG_GREEN, Weight: 10 }], InEffect: false, Change: { Id: 'C1', SubmittedAt: iso('12:00:20'), Status: 'PENDING' } }) }),
      ['Traffic: step 1/5 SetWeight 10 · web-a 90 % / web-b 10 % · not in effect yet (Route 53 change PENDING)'],
    ],
    ['before the first plan', deployment({ Traffic: traffic({ Step: null, StepDescription: null, Weights: [] }) }), ['Traffic: no step started yet · weights not read yet · in effect']],
    [
      'BlueGreen: no steps',
      deployment({ Traffic: traffic({ Strategy: 'BlueGreen', Step: null, StepDescription: null, Weights: [{ TargetGroupName: 'web-blue', TargetGroupArn: TG_BLUE, Weight: 100 }, { TargetGroupName: 'web-green', TargetGroupArn: TG_GREEN, Weight: 0 }] }) }),
      ['Traffic: BlueGreen · web-blue 100 % / web-green 0 % · in effect'],
    ],
    [
      'baking (after the last step): the bake end',
      deployment({ Phase: 'Baking', BakeEndsAt: iso('12:40:00'), Traffic: traffic({ Step: '5/5', StepDescription: 'SetWeight 100', Weights: [{ TargetGroupName: 'web-blue', TargetGroupArn: TG_BLUE, Weight: 0 }, { TargetGroupName: 'web-green', TargetGroupArn: TG_GREEN, Weight: 100 }] }) }),
      ['Traffic: step 5/5 SetWeight 100 · web-blue 0 % / web-green 100 % · in effect', 'Bake ends 12:40:00Z'],
    ],
    ["a Daemon canary's bake", deployment({ Phase: 'CanaryBaking', BakeEndsAt: iso('12:10:00') }), ['Canary bake ends 12:10:00Z']],
    ['paused by pause-deployment, a Daemon (no traffic)', deployment({ Paused: { Since: iso('12:03:00'), By: 'alice', Reason: null } }), ['Paused by alice since 12:03:00Z']],
    [
      'paused in a timed Pause step: its end comes later by the time paused',
      deployment({ Paused: { Since: iso('12:03:00'), By: 'alice', Reason: 'looking at the logs' }, Traffic: traffic({ Step: '2/5', StepDescription: 'Pause 300 s', PauseEndsAt: iso('12:06:00') }) }),
      [
        'Traffic: step 2/5 Pause 300 s · web-blue 50 % / web-green 50 % · in effect',
        'Pause ends 12:06:00Z (later by the time paused)',
        'Paused by alice since 12:03:00Z: looking at the logs',
      ],
    ],
    [
      'hooks in progress: waiting for the answer; IN_PROGRESS with its next call',
      deployment({
        Hooks: [
          { Stage: 'PreTraffic', FunctionName: 'smoke-ok', Attempt: 1, LastAnswer: null, NextAttemptAt: null, TimesOutAt: iso('12:05:10') },
          { Stage: 'PreTraffic', FunctionName: 'smoke-slow', Attempt: 2, LastAnswer: { Status: 'IN_PROGRESS', At: iso('12:00:41'), Reason: 'warming up' }, NextAttemptAt: iso('12:01:11'), TimesOutAt: null },
        ],
      }),
      ['Hook PreTraffic smoke-ok: attempt 1, waiting for its answer, times out 12:05:10Z', 'Hook PreTraffic smoke-slow: attempt 2, IN_PROGRESS (warming up), next call 12:01:11Z'],
    ],
  ];
  it.each(cases)('%s', (_name, given, expected) => {
    expect(formatDeploymentLines(given)).toEqual(expected);
  });
});

function status(rows: Array<[number, 'Deploying' | 'Undeploying' | 'Active' | 'Inactive', number, number]>, progress: DeploymentInfo | null): EnvironmentStatus {
  return {
    EnvironmentName: NAME,
    Status: progress ? 'Deploying' : 'Active',
    Frozen: false,
    Deployment: progress,
    Revisions: rows.map(([revision, rowStatus, desired, current]) => ({ EnvironmentRevision: revision, Revision: `${NAME}:${revision}`, Status: rowStatus, Desired: desired, Current: current, StatusReason: null })),
  };
}

describe('the tables with the deployment lines under them', () => {
  it('describe-environment-status --table: the revisions, then the traffic', () => {
    expect(formatStatusTable(status([[1, 'Undeploying', 4, 4], [2, 'Deploying', 2, 2]], deployment({ Traffic: traffic() })))).toBe(
      [
        'REVISION                  STATUS       DESIRED   CURRENT',
        'Web/Prod:1                Undeploying  4         4',
        'Web/Prod:2                Deploying    2         2',
        'Traffic: step 3/5 SetWeight 50 · web-blue 50 % / web-green 50 % · in effect',
      ].join('\n'),
    );
  });

  it('describe-environment --table: the environment, then the pause', () => {
    const described: EnvironmentDescription = {
      EnvironmentName: NAME,
      Status: 'Deploying',
      Desired: 4,
      Current: 6,
      Frozen: false,
      LatestRevision: 2,
      ActiveRevision: 1,
      DeployingRevision: 2,
      Deployment: deployment({ Paused: { Since: iso('12:03:00'), By: 'alice', Reason: null } }),
      Spec: {},
    };
    expect(formatEnvironmentTable(described)).toBe(
      ['ENVIRONMENT               STATUS       DESIRED   CURRENT', 'Web/Prod                  Deploying    4         6', 'Paused by alice since 12:03:00Z'].join('\n'),
    );
  });

  it('an answer without Deployment (an older API): the table alone', () => {
    const { Deployment: _none, ...older } = status([[1, 'Active', 4, 4]], null);
    expect(formatStatusTable(older)).toBe(['REVISION                  STATUS       DESIRED   CURRENT', 'Web/Prod:1                Active       4         4'].join('\n'));
  });
});

// ── the commands against a fake API ───────────────────────────────────────────────────────────────

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
    stdoutIsTTY: false,
    env: { BLOX_API_URL: api.url },
  });
  return { code, stdout, stderr };
}

/** Answers the status route with each of `answers` in turn (the last one from then on). */
function sequence(answers: EnvironmentStatus[]): Handler {
  let calls = 0;
  return (request) => {
    if (request.path !== `${PATH}/status`) return notFound(request);
    const body = answers[Math.min(calls, answers.length - 1)];
    calls += 1;
    return { status: 200, body };
  };
}

describe('describe-environment-status --table --watch: the traffic live', () => {
  it('each step as it changes — 25 % in effect, the pause and its end, promoted to 100 %, the bake — until at rest', async () => {
    const weights = (blue: number, green: number) => [
      { TargetGroupName: 'web-blue', TargetGroupArn: TG_BLUE, Weight: blue },
      { TargetGroupName: 'web-green', TargetGroupArn: TG_GREEN, Weight: green },
    ];
    api.handle(
      sequence([
        status([[1, 'Undeploying', 4, 4], [2, 'Deploying', 1, 1]], deployment({ Traffic: traffic({ Step: '1/3', StepDescription: 'SetWeight 25', Weights: weights(75, 25) }) })),
        status([[1, 'Undeploying', 4, 4], [2, 'Deploying', 1, 1]], deployment({ Traffic: traffic({ Step: '2/3', StepDescription: 'Pause 120 s', Weights: weights(75, 25), PauseEndsAt: iso('12:04:00') }) })),
        status([[1, 'Undeploying', 4, 4], [2, 'Deploying', 4, 4]], deployment({ Phase: 'Baking', BakeEndsAt: iso('12:15:00'), Traffic: traffic({ Step: '3/3', StepDescription: 'SetWeight 100', Weights: weights(0, 100) }) })),
        status([[1, 'Inactive', 0, 0], [2, 'Active', 4, 4]], null),
      ]),
    );
    const result = await blox(['describe-environment-status', '--environment-name', NAME, '--table', '--watch', '--interval', '0.01']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(
      [
        'REVISION                  STATUS       DESIRED   CURRENT',
        'Web/Prod:1                Undeploying  4         4',
        'Web/Prod:2                Deploying    1         1',
        'Traffic: step 1/3 SetWeight 25 · web-blue 75 % / web-green 25 % · in effect',
        '',
        'REVISION                  STATUS       DESIRED   CURRENT',
        'Web/Prod:1                Undeploying  4         4',
        'Web/Prod:2                Deploying    1         1',
        'Traffic: step 2/3 Pause 120 s · web-blue 75 % / web-green 25 % · in effect',
        'Pause ends 12:04:00Z',
        '',
        'REVISION                  STATUS       DESIRED   CURRENT',
        'Web/Prod:1                Undeploying  4         4',
        'Web/Prod:2                Deploying    4         4',
        'Traffic: step 3/3 SetWeight 100 · web-blue 0 % / web-green 100 % · in effect',
        'Bake ends 12:15:00Z',
        '',
        'REVISION                  STATUS       DESIRED   CURRENT',
        'Web/Prod:1                Inactive     0         0',
        'Web/Prod:2                Active       4         4',
        '',
      ].join('\n'),
    );
  });

  it('a pause-deployment shows up in the watched table (it did not before)', async () => {
    const paused = deployment({ Paused: { Since: iso('12:03:00'), By: 'alice', Reason: 'looking at the logs' } });
    api.handle(sequence([status([[1, 'Undeploying', 4, 4], [2, 'Deploying', 4, 2]], paused), status([[2, 'Active', 4, 4]], null)]));
    const result = await blox(['describe-environment-status', '--environment-name', NAME, '--table', '--watch', '--interval', '0.01']);
    expect(result.stdout.split('\n').slice(0, 4)).toEqual([
      'REVISION                  STATUS       DESIRED   CURRENT',
      'Web/Prod:1                Undeploying  4         4',
      'Web/Prod:2                Deploying    4         2',
      'Paused by alice since 12:03:00Z: looking at the logs',
    ]);
  });

  it('--all --table, a page at a time: the deployment lines once, under the last page', async () => {
    const progress = deployment({ Traffic: traffic() });
    api.handle((request) => {
      // (The table's first column is sized for the latest revision, asked of describe-environment.)
      if (request.path === PATH) return { status: 200, body: { EnvironmentName: NAME, LatestRevision: 2 } };
      if (request.path !== `${PATH}/status`) return notFound(request);
      const first = request.query.get('nextToken') === null;
      const page = first ? status([[1, 'Undeploying', 4, 4]], progress) : status([[2, 'Deploying', 2, 2]], progress);
      return { status: 200, body: first ? { ...page, NextToken: 'after:1' } : page };
    });
    const result = await blox(['describe-environment-status', '--all', '--environment-name', NAME, '--table']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        'REVISION                  STATUS       DESIRED   CURRENT',
        'Web/Prod:1                Undeploying  4         4',
        'Web/Prod:2                Deploying    2         2',
        'Traffic: step 3/5 SetWeight 50 · web-blue 50 % / web-green 50 % · in effect',
        '',
      ].join('\n'),
    );
  });
});
