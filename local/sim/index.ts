/**
 * The simulated ECS cluster: `SimulatedCluster` (world.ts) and its ECS services (ecs-services.ts),
 * its clocks (clock.ts), the events it emits (events.ts), its world description file (world-file.ts)
 * and snapshot format (state.ts).
 */
export * from './clock';
export * from './errors';
export * from './events';
export { mulberry32, SeededRandom } from './random';
export type { TaskBehaviour, WorldSnapshot } from './state';
export * from './world';
export * from './world-file';
export * from './cloudwatch';
export * from './elbv2';
export * from './kernel';
export * from './rate-buckets';
export * from './traffic';
export * from './ecs-services';
