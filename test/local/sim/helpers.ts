/** Shared set-up for the simulated-cluster tests: a virtual clock, a world, and its event log. */
import { VirtualClock } from '../../../local/sim/clock';
import type { SimulatedEcsEvent } from '../../../local/sim/events';
import type { SimulatedClusterOptions } from '../../../local/sim/world';
import { SimulatedCluster } from '../../../local/sim/world';

export const T0 = Date.UTC(2024, 0, 1);

export interface Bed {
  clock: VirtualClock;
  world: SimulatedCluster;
  events: SimulatedEcsEvent[];
}

export function testBed(options: Partial<SimulatedClusterOptions> = {}): Bed {
  const clock = new VirtualClock(T0);
  const world = new SimulatedCluster({ clock, ...options });
  const events: SimulatedEcsEvent[] = [];
  world.onEvent((event) => events.push(event));
  return { clock, world, events };
}

/** Task events of one task, in delivery order. */
export function taskEvents(events: SimulatedEcsEvent[], taskArn: string) {
  return events.flatMap((event) => (event['detail-type'] === 'ECS Task State Change' && event.detail.taskArn === taskArn ? [event] : []));
}

export function instanceEvents(events: SimulatedEcsEvent[], instanceArn?: string) {
  return events.flatMap((event) =>
    event['detail-type'] === 'ECS Container Instance State Change' && (instanceArn === undefined || event.detail.containerInstanceArn === instanceArn)
      ? [event]
      : [],
  );
}

export const START = { cluster: 'default', startedBy: 'blox/env-prod', tags: { 'blox:environment': 'SomeEnvironment/Prod' } };
