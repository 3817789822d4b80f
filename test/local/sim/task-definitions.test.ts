/**
 * The simulated ECS's DescribeTaskDefinition (local/sim/world.ts), from the world file's task
 * definitions: read through the real adapter (`EcsTaskDefinitions`), as the local stack's API does.
 */
import { describe, expect, it } from 'vitest';
import { EcsTaskDefinitions } from '../../../functions/adapters/task-definitions';
import { VirtualClock } from '../../../local/sim/clock';
import { createWorld, parseWorldDescription, WorldFileError } from '../../../local/sim/world-file';

const T0 = Date.parse('2026-11-30T12:00:00.000Z');

const world = () =>
  createWorld(
    parseWorldDescription(`
taskDefinitions:
  "web:1": { cpu: 256, memory: 512, containerName: app, image: "registry.local/web:1.0", environment: { LOG_LEVEL: info }, portMappings: [{ containerPort: 8080, hostPort: 0 }] }
  "web:2": { cpu: 512, memory: 512, containerName: app, image: "registry.local/web:1.1", environment: { LOG_LEVEL: debug }, health: none }
`),
    { clock: new VirtualClock(T0) },
  );

describe('the simulated DescribeTaskDefinition', () => {
  it('answers what the world file says of the container, in the SDK shapes the adapter reads', async () => {
    const sim = world();
    const taskDefinitions = new EcsTaskDefinitions((input) => sim.describeTaskDefinition(input).then((output) => ({ $metadata: {}, ...output })));
    expect(await taskDefinitions.describe('web:1')).toEqual({
      arn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:1',
      family: 'web',
      revision: 1,
      networkMode: 'bridge',
      containers: [{ name: 'app', image: 'registry.local/web:1.0', cpu: 256, memory: 512, environment: { LOG_LEVEL: 'info' }, portMappings: [{ containerPort: 8080, hostPort: 0, protocol: 'tcp' }] }],
    });
    // A health check unless its health is `none` (what the engine's hasHealthCheck reads).
    expect([await taskDefinitions.hasHealthCheck('web:1'), await taskDefinitions.hasHealthCheck('web:2')]).toEqual([true, false]);
    // Not in the file: registered with the defaults (StartTask takes any), its image named after it.
    expect((await taskDefinitions.describe('other:3')).containers).toEqual([{ name: 'other', image: 'sim.local/other:3', cpu: 512, memory: 1024, environment: {}, portMappings: [] }]);
  });

  it('refuses a malformed task definition with ECS\'s ClientException', async () => {
    const sim = world();
    await expect(sim.describeTaskDefinition({ taskDefinition: 'not a task definition!' })).rejects.toMatchObject({ name: 'ClientException' });
    await expect(sim.describeTaskDefinition({ taskDefinition: '' })).rejects.toMatchObject({ name: 'ClientException', message: 'Unable to describe task definition.' });
  });

  it.each([
    ['taskDefinitions: { "web:1": { portMappings: [{ containerPort: 0 }] } }', /portMappings\[0\]\.containerPort: expected a port from 1 to 65535/],
    ['taskDefinitions: { "web:1": { portMappings: [{ containerPort: 80, protocol: sctp }] } }', /portMappings\[0\]\.protocol: expected tcp or udp/],
    ['taskDefinitions: { "web:1": { environment: { A: [1] } } }', /environment\.A: expected a text value/],
  ])('the world file refuses %s, naming the field', (text, message) => {
    expect(() => parseWorldDescription(text)).toThrow(WorldFileError);
    expect(() => parseWorldDescription(text)).toThrow(message);
  });
});
