/**
 * A write the revision log refuses is never silent: the deployment turns Stuck with the store's
 * reason at once (a small write of its own), the notification says so, and the next reconcile that
 * fails the same way writes nothing more.
 */
import { describe, expect, it } from 'vitest';
import type { EnvironmentCommand } from '../../domain/environment';
import { displayStatus } from '../../domain/revision-status';
import type { EnvironmentSpec } from '../../domain/spec';
import type { PutEventsEntry } from '../../events/notifications';
import { runCommand, StoreWriteError } from '../../functions/commands';
import type { EngineDeps } from '../../functions/engine/engine';
import { reconcile } from '../../functions/engine/engine';
import type { EventLog } from '../../functions/ports';
import { MemoryEventLog } from '../../local/memory-event-log';
import { SimulatedCluster, VirtualClock } from '../../local/sim';

const NAME = 'SomeEnvironment/Prod';
const REFUSAL = 'Item size has exceeded the maximum allowed size';

describe('the store refuses the planner write', () => {
  it('turns the deployment Stuck with the store reason, once, and announces it', async () => {
    const clock = new VirtualClock(Date.parse('2024-01-01T00:00:00.000Z'));
    const world = new SimulatedCluster({ clock, seed: 5, rateLimits: false });
    world.addInstances({ count: 3, attributes: { stack: 'prod' } });
    const memory = new MemoryEventLog();
    let refused = 0;
    // The store refuses every write that plans launches (as DynamoDB refuses an item over 400 KB).
    const eventLog: EventLog = Object.assign(Object.create(memory) as EventLog, {
      append: async (request: Parameters<EventLog['append']>[0]) => {
        if (request.events.some((e) => e.type === 'LaunchesPlanned')) {
          refused++;
          throw Object.assign(new Error(REFUSAL), { name: 'ValidationException' });
        }
        return memory.append(request);
      },
    });
    const notifications: PutEventsEntry[] = [];
    const deps: EngineDeps = {
      eventLog,
      cluster: world,
      taskDefinitions: { hasHealthCheck: async () => false },
      queue: { enqueue: async () => undefined },
      notifier: { publish: async (entries) => void notifications.push(...entries) },
      clock: { now: () => new Date(clock.now()) },
    };
    const at = new Date(clock.now()).toISOString();
    const spec = { Name: NAME, TaskDefinition: 'log-daemon:1', Cluster: 'default', InstanceGroup: { Query: 'attribute:stack == prod' }, DeploymentType: 'Daemon' } as EnvironmentSpec;
    for (const command of [
      { type: 'CreateEnvironment', spec, at },
      { type: 'DeployRevision', name: NAME, revision: 1, at },
    ] as EnvironmentCommand[]) {
      await runCommand(eventLog, { environment: NAME, command, reply: () => ({ statusCode: 200, body: null }) });
    }

    await expect(reconcile(deps, NAME)).rejects.toBeInstanceOf(StoreWriteError);
    const state = await memory.load(NAME);
    const revision = state?.revisions.find((r) => r.revision === 1);
    expect(revision && displayStatus(revision)).toBe('Stuck');
    expect(revision?.statusReason).toBe(`the revision log refused the write: ${REFUSAL}`);
    expect(notifications.map((n) => JSON.parse(n.Detail) as { status: string; reason: string })).toContainEqual(
      expect.objectContaining({ status: 'Stuck', reason: `the revision log refused the write: ${REFUSAL}` }),
    );

    const version = state?.version;
    await expect(reconcile(deps, NAME)).rejects.toBeInstanceOf(StoreWriteError);
    expect((await memory.load(NAME))?.version).toBe(version); // already Stuck with that reason: nothing more written
    expect(refused).toBe(2);
    expect(world.describeTasks()).toHaveLength(0); // nothing was started for a plan that was not recorded
  });
});
