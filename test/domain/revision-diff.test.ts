/**
 * diff-revisions (domain/revision-diff.ts): given two specs or two task definitions, then the fields
 * that changed, old → new, sorted by field. Expected changes worked out by hand.
 */
import { describe, expect, it } from 'vitest';
import type { ContainerSummary, FieldChange, TaskDefinitionSummary } from '../../domain/revision-diff';
import { specDiff, taskDefinitionDiff } from '../../domain/revision-diff';
import type { EnvironmentSpec } from '../../domain/spec';

const base: EnvironmentSpec = {
  Name: 'Web/Prod',
  TaskDefinition: 'web:1',
  DeploymentType: 'Daemon',
  InstanceGroup: { Query: 'attribute:stack == prod' },
  DeploymentConfiguration: { Method: 'Replace', MinHealthyPercent: 100, Alarms: { AlarmNames: ['web-5xx'], Rollback: true } },
};

describe('specDiff', () => {
  const cases: Array<{ name: string; given: [EnvironmentSpec, EnvironmentSpec]; then: FieldChange[] }> = [
    { name: 'the same spec: nothing', given: [base, structuredClone(base)], then: [] },
    {
      name: 'a new task definition and a changed nested setting; an added one is null before',
      given: [base, { ...base, TaskDefinition: 'web:2', DeploymentConfiguration: { ...base.DeploymentConfiguration, MinHealthyPercent: 50, BakeSeconds: 60 } }],
      then: [
        { field: 'DeploymentConfiguration.BakeSeconds', from: null, to: 60 },
        { field: 'DeploymentConfiguration.MinHealthyPercent', from: 100, to: 50 },
        { field: 'TaskDefinition', from: 'web:1', to: 'web:2' },
      ],
    },
    {
      name: 'a list changes as a whole; a removed section is null after',
      given: [base, { ...base, InstanceGroup: undefined, DeploymentConfiguration: { ...base.DeploymentConfiguration, Alarms: { AlarmNames: ['web-5xx', 'web-latency'], Rollback: true } } }],
      then: [
        { field: 'DeploymentConfiguration.Alarms.AlarmNames', from: ['web-5xx'], to: ['web-5xx', 'web-latency'] },
        { field: 'InstanceGroup', from: { Query: 'attribute:stack == prod' }, to: null },
      ],
    },
  ];
  for (const c of cases) it(c.name, () => expect(specDiff(...c.given)).toEqual(c.then));
});

const container = (extra: Partial<ContainerSummary> = {}): ContainerSummary => ({
  name: 'web',
  image: 'registry/web:1.0',
  cpu: 256,
  memory: 512,
  environment: { LOG_LEVEL: 'info', REGION: 'eu-west-1' },
  portMappings: [{ containerPort: 8080, hostPort: 0, protocol: 'tcp' }],
  ...extra,
});
const td = (revision: number, containers: ContainerSummary[], extra: Partial<TaskDefinitionSummary> = {}): TaskDefinitionSummary => ({
  arn: `arn:aws:ecs:eu-west-1:123456789012:task-definition/web:${revision}`,
  family: 'web',
  revision,
  cpu: '512',
  memory: '1024',
  networkMode: 'bridge',
  containers,
  ...extra,
});

describe('taskDefinitionDiff', () => {
  const sidecar = container({ name: 'envoy', image: 'envoy:1.30', cpu: undefined, memory: undefined, memoryReservation: 128, environment: {}, portMappings: [] });
  const cases: Array<{ name: string; given: [TaskDefinitionSummary, TaskDefinitionSummary]; then: FieldChange[] }> = [
    { name: 'two revisions with the same contents: nothing (the ARN is not a change)', given: [td(1, [container()]), td(2, [container()])], then: [] },
    {
      name: 'an image, an environment variable changed, one added, one removed',
      given: [td(1, [container()]), td(2, [container({ image: 'registry/web:1.1', environment: { LOG_LEVEL: 'debug', FEATURE_X: 'on' } })])],
      then: [
        { field: 'containers.web.environment.FEATURE_X', from: null, to: 'on' },
        { field: 'containers.web.environment.LOG_LEVEL', from: 'info', to: 'debug' },
        { field: 'containers.web.environment.REGION', from: 'eu-west-1', to: null },
        { field: 'containers.web.image', from: 'registry/web:1.0', to: 'registry/web:1.1' },
      ],
    },
    {
      name: 'task CPU and memory, container memory, port mappings',
      given: [td(1, [container()]), td(2, [container({ memory: 768, portMappings: [{ containerPort: 9090, hostPort: 0, protocol: 'tcp' }] })], { cpu: '1024', memory: '2048' })],
      then: [
        { field: 'containers.web.memory', from: 512, to: 768 },
        { field: 'containers.web.portMappings', from: [{ containerPort: 8080, hostPort: 0, protocol: 'tcp' }], to: [{ containerPort: 9090, hostPort: 0, protocol: 'tcp' }] },
        { field: 'cpu', from: '512', to: '1024' },
        { field: 'memory', from: '1024', to: '2048' },
      ],
    },
    {
      name: 'a container added (whole, null before) and one removed (null after)',
      given: [td(1, [container(), sidecar]), td(2, [container({ name: 'app' })])],
      then: [
        { field: 'containers.app', from: null, to: { image: 'registry/web:1.0', cpu: 256, memory: 512, environment: { LOG_LEVEL: 'info', REGION: 'eu-west-1' }, portMappings: [{ containerPort: 8080, hostPort: 0, protocol: 'tcp' }] } },
        { field: 'containers.envoy', from: { image: 'envoy:1.30', memoryReservation: 128, environment: {}, portMappings: [] }, to: null },
        { field: 'containers.web', from: { image: 'registry/web:1.0', cpu: 256, memory: 512, environment: { LOG_LEVEL: 'info', REGION: 'eu-west-1' }, portMappings: [{ containerPort: 8080, hostPort: 0, protocol: 'tcp' }] }, to: null },
      ],
    },
  ];
  for (const c of cases) it(c.name, () => expect(taskDefinitionDiff(...c.given)).toEqual(c.then));
});
