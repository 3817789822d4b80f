/**
 * The local stack in real time (speed 1), measured in process:
 *
 * - `stack.reaction.p50` / `.p99` (ms): a simulated ECS event → the executor's next ECS call it
 *   causes, i.e. event delivery + planner + queue + executor. In a Replace deployment every
 *   StartTask is caused by the previous task's STOPPED event on that instance: the latency is
 *   from the most recent ECS task event to each StartTask (over several deployments).
 * - `stack.replace_5.duration` (s) and `.ratio` (÷ lower bound): deploying a new revision over the
 *   default world's 5 `stack=prod` instances with Replace at MinHealthyPercent 80 (one at a time).
 *   Lower bound: 5 waves × (stop 1 s + start 2 s + healthy 1 s) = 20 s — the simulated cluster's
 *   own timings with zero control-plane latency.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { runCommand } from '../functions/commands';
import { getFreePort } from '../local/dynamodb-local';
import { startStack } from '../local/stack';
import { percentile } from './stats';

const DEPLOYS = 4;

export interface Figure {
  name: string;
  value: number;
  unit: string;
}

const NAME = 'Bench/Replace';

export async function stackBench(): Promise<Figure[]> {
  const ecsCalls: number[] = [];
  const reactions: number[] = [];
  const durations: number[] = [];
  const stack = await startStack({
    port: await getFreePort(),
    logger: new Logger({ logLevel: 'SILENT' }),
    onEcsCall: (name, at) => {
      if (name === 'StartTask') ecsCalls.push(at);
    },
  });
  const events: number[] = [];
  stack.world.onEvent((e) => {
    if (e['detail-type'] === 'ECS Task State Change') events.push(Date.now());
  });
  const log = stack.api.eventLog;
  const command = async (command: Parameters<typeof runCommand>[1]['command'], environment = NAME) => {
    const result = await runCommand(log, { environment, command, reply: () => ({ statusCode: 200, body: {} }) });
    stack.engine.wake(environment);
    return result;
  };
  const at = () => new Date(stack.clock.now()).toISOString();
  const activeOn = async (revision: number) => {
    for (;;) {
      const s = await log.load(NAME);
      if (s?.activeRevision === revision && !s.deployment) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  try {
    await command({
      type: 'CreateEnvironment',
      spec: {
        Name: NAME,
        TaskDefinition: 'log-daemon:1',
        DeploymentType: 'Daemon',
        InstanceGroup: { Query: 'attribute:stack == prod' },
        DeploymentConfiguration: { Method: 'Replace', MinHealthyPercent: 80 },
      },
      at: at(),
    });
    await command({ type: 'DeployRevision', name: NAME, revision: 1, at: at() });
    await activeOn(1);
    for (let revision = 2; revision <= DEPLOYS + 1; revision++) {
      await command({ type: 'UpdateEnvironment', name: NAME, baseRevision: revision - 1, patch: { TaskDefinition: `log-daemon:${revision}` }, at: at() });
      ecsCalls.length = 0;
      events.length = 0;
      const started = Date.now();
      await command({ type: 'DeployRevision', name: NAME, revision, at: at() });
      await activeOn(revision);
      durations.push((Date.now() - started) / 1000);
      for (const call of ecsCalls) {
        const cause = events.filter((e) => e <= call).at(-1);
        if (cause !== undefined) reactions.push(call - cause);
      }
    }
    const duration = percentile(durations, 0.5);
    const lowerBound = 5 * (1 + 2 + 1);
    return [
      { name: 'stack.reaction.p50', value: round(percentile(reactions, 0.5)), unit: 'ms' },
      { name: 'stack.reaction.p99', value: round(percentile(reactions, 0.99)), unit: 'ms' },
      { name: 'stack.reaction.samples', value: reactions.length, unit: 'count' },
      { name: 'stack.replace_5.duration', value: round(duration), unit: 's' }, // median of the deployments
      { name: 'stack.replace_5.lower_bound', value: lowerBound, unit: 's' },
      { name: 'stack.replace_5.ratio', value: round(duration / lowerBound), unit: 'ratio' },
    ];
  } finally {
    await stack.stop();
  }
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
