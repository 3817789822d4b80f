/**
 * The environment spec: what is accepted (and how it is normalised), what is refused (and how the
 * message names the field), partial updates, defaults, and a generated property over arbitrary JSON.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../domain/errors';
import type { DeploymentConfiguration, EffectiveDeploymentConfiguration, EnvironmentSpec, SpecPatch } from '../../domain/spec';
import {
  describeIssues,
  effectiveDeploymentConfiguration,
  serviceNameOf,
  isWholeSpec,
  mergeSpec,
  parseEnvironmentSpec,
  parseSpecPatch,
  specSchemas,
} from '../../domain/spec';

/** The walkthrough's spec, as its YAML reads (MinHealthyPercent is a string there). */
const WALKTHROUGH = {
  Name: 'SomeEnvironment/Prod',
  TaskDefinition: 'log-daemon:1',
  Cluster: 'default',
  InstanceGroup: { Query: 'attribute:stack == prod' },
  DeploymentType: 'Daemon',
  DeploymentConfiguration: { Method: 'Replace', MinHealthyPercent: '100' },
} as const;

const DAEMON = { Name: 'Fleet/Logs', TaskDefinition: 'log-daemon:1', DeploymentType: 'Daemon' } as const;
const SERVICE = { Name: 'Web/Prod', TaskDefinition: 'web:7', DeploymentType: 'Service', DesiredCount: 4 } as const;
const TG = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef';
/** What a Service Canary or BlueGreen needs besides its Method (spec-traffic.test.ts tests these keys). */
const TRAFFIC = {
  Service: { LoadBalancer: { ContainerName: 'web', ContainerPort: 80 } },
  TrafficRouting: {
    Alb: {
      ListenerRuleArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee',
      TestListenerRuleArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/1111b2d02a6cabee',
      BlueTargetGroupArn: TG,
      GreenTargetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-green/0123456789abcdef',
    },
  },
} as const;

/** The error `fn` throws; fails the test when it returns or throws anything but a `ValidationError`. */
function validationError(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw new Error(`expected a ValidationError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected a ValidationError, but nothing was thrown');
}

describe('parseEnvironmentSpec: accepted specs', () => {
  it("parses the walkthrough's spec, storing MinHealthyPercent \"100\" as the number 100", () => {
    expect(parseEnvironmentSpec(WALKTHROUGH)).toStrictEqual({
      Name: 'SomeEnvironment/Prod',
      TaskDefinition: 'log-daemon:1',
      Cluster: 'default',
      InstanceGroup: { Query: 'attribute:stack == prod' },
      DeploymentType: 'Daemon',
      DeploymentConfiguration: { Method: 'Replace', MinHealthyPercent: 100 },
    });
  });

  it('stores the spec as given: no defaults filled in, no absent keys added', () => {
    expect(parseEnvironmentSpec(DAEMON)).toStrictEqual(DAEMON);
    expect(parseEnvironmentSpec(SERVICE)).toStrictEqual(SERVICE);
  });

  const configurations: [string, Record<string, unknown>, DeploymentConfiguration][] = [
    ['MinHealthyPercent as a number', { MinHealthyPercent: 100 }, { MinHealthyPercent: 100 }],
    ['MinHealthyPercent as a numeric string', { MinHealthyPercent: '100' }, { MinHealthyPercent: 100 }],
    ['MinHealthyPercent 0', { MinHealthyPercent: 0 }, { MinHealthyPercent: 0 }],
    ['MinHealthyPercent "0"', { MinHealthyPercent: '0' }, { MinHealthyPercent: 0 }],
    ['MinHealthyPercent "-0" (stored as 0, not -0)', { MinHealthyPercent: '-0' }, { MinHealthyPercent: 0 }],
    ['MinHealthyPercent with spaces around', { MinHealthyPercent: ' 75 ' }, { MinHealthyPercent: 75 }],
    ['StuckAfterSeconds as a number', { StuckAfterSeconds: 600 }, { StuckAfterSeconds: 600 }],
    ['StuckAfterSeconds as a numeric string', { StuckAfterSeconds: '600' }, { StuckAfterSeconds: 600 }],
    ['FailingAfterSeconds as a number', { FailingAfterSeconds: 1800 }, { FailingAfterSeconds: 1800 }],
    ['FailingAfterSeconds as a numeric string', { FailingAfterSeconds: '1800' }, { FailingAfterSeconds: 1800 }],
    ['FailingAfterSeconds at its maximum (a week)', { FailingAfterSeconds: '604800' }, { FailingAfterSeconds: 604800 }],
    ['MaxOver as a number', { Method: 'Surge', MaxOver: 2 }, { Method: 'Surge', MaxOver: 2 }],
    ['MaxOver as a numeric string', { Method: 'Surge', MaxOver: '2' }, { Method: 'Surge', MaxOver: 2 }],
    ['MaxOver as a percentage', { Method: 'Surge', MaxOver: '20%' }, { Method: 'Surge', MaxOver: '20%' }],
    ['MaxOver "100%"', { MaxOver: '100%' }, { MaxOver: '100%' }],
    ['MaxOver percentage normalised', { MaxOver: ' 05% ' }, { MaxOver: '5%' }],
    ['MaxOver at its maximum count', { MaxOver: '100000' }, { MaxOver: 100000 }],
    ['every field', { Method: 'Surge', MinHealthyPercent: '90', MaxOver: '1', StuckAfterSeconds: 60, FailingAfterSeconds: '120' }, {
      Method: 'Surge',
      MinHealthyPercent: 90,
      MaxOver: 1,
      StuckAfterSeconds: 60,
      FailingAfterSeconds: 120,
    }],
  ];
  it.each(configurations)('DeploymentConfiguration: %s', (_label, given, stored) => {
    expect(parseEnvironmentSpec({ ...DAEMON, DeploymentConfiguration: given }).DeploymentConfiguration).toStrictEqual(stored);
    expect(parseEnvironmentSpec({ ...DAEMON, RollbackConfiguration: given }).RollbackConfiguration).toStrictEqual(stored);
  });

  const others: [string, Record<string, unknown>, Partial<EnvironmentSpec>][] = [
    ['DesiredCount as a numeric string', { ...SERVICE, DesiredCount: '2' }, { DesiredCount: 2 }],
    ['DesiredCount 0', { ...SERVICE, DesiredCount: 0 }, { DesiredCount: 0 }],
    ['a Service method', { ...SERVICE, ...TRAFFIC, DeploymentConfiguration: { Method: 'BlueGreen' } }, { DeploymentConfiguration: { Method: 'BlueGreen' } }],
    ['a Canary rollback of a Service', { ...SERVICE, ...TRAFFIC, RollbackConfiguration: { Method: 'Canary' } }, { RollbackConfiguration: { Method: 'Canary' } }],
    [
      'a task definition ARN',
      { ...DAEMON, TaskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/log-daemon:12' },
      { TaskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/log-daemon:12' },
    ],
    [
      'a GovCloud task definition ARN',
      { ...DAEMON, TaskDefinition: 'arn:aws-us-gov:ecs:us-gov-west-1:123456789012:task-definition/a_b-c:1' },
      { TaskDefinition: 'arn:aws-us-gov:ecs:us-gov-west-1:123456789012:task-definition/a_b-c:1' },
    ],
    ['a cluster ARN', { ...DAEMON, Cluster: 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod' }, { Cluster: 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod' }],
    ['a name of 255 characters', { ...DAEMON, Name: 'n'.repeat(255) }, { Name: 'n'.repeat(255) }],
    ['a name with every allowed character', { ...DAEMON, Name: 'A-z_0.9/x' }, { Name: 'A-z_0.9/x' }],
    ['an empty query (every instance)', { ...DAEMON, InstanceGroup: { Query: '' } }, { InstanceGroup: { Query: '' } }],
    [
      'a compound query',
      { ...DAEMON, InstanceGroup: { Query: 'attribute:stack == prod and not(attribute:ecs.instance-type =~ t2.*)' } },
      { InstanceGroup: { Query: 'attribute:stack == prod and not(attribute:ecs.instance-type =~ t2.*)' } },
    ],
    [
      'a Service behind a target group, Rolling with a canary task (numeric strings stored as numbers)',
      {
        ...SERVICE,
        DesiredCount: '6',
        DeploymentConfiguration: { Method: 'Rolling', MinHealthyPercent: '50', MaxPercent: '150', CanaryTask: { HealthyChecks: '3' } },
        Service: { ServiceName: 'web-prod', LaunchType: 'EC2', LoadBalancer: { ContainerName: 'web', ContainerPort: '8080', TargetGroupArn: TG } },
      },
      {
        DesiredCount: 6,
        DeploymentConfiguration: { Method: 'Rolling', MinHealthyPercent: 50, MaxPercent: 150, CanaryTask: { HealthyChecks: 3 } },
        Service: { ServiceName: 'web-prod', LaunchType: 'EC2', LoadBalancer: { ContainerName: 'web', ContainerPort: 8080, TargetGroupArn: TG } },
      },
    ],
    [
      'a Fargate Service with its network configuration',
      { ...SERVICE, Service: { LaunchType: 'FARGATE', NetworkConfiguration: { Subnets: ['subnet-0a1b'], SecurityGroups: ['sg-12ab'], AssignPublicIp: 'DISABLED' } } },
      { Service: { LaunchType: 'FARGATE', NetworkConfiguration: { Subnets: ['subnet-0a1b'], SecurityGroups: ['sg-12ab'], AssignPublicIp: 'DISABLED' } } },
    ],
  ];
  it.each(others)('%s', (_label, given, expected) => {
    expect(parseEnvironmentSpec(given)).toMatchObject(expected);
  });
});

describe('parseEnvironmentSpec: refused specs name the field, in the message and in `field`', () => {
  const withConfiguration = (configuration: Record<string, unknown>) => ({ ...DAEMON, DeploymentConfiguration: configuration });
  const integer0to100 = /expected an integer from 0 to 100 \(a number or a numeric string\)$/;
  const maxOverExpected = /expected a count from 1 to 100000 or a percentage from 1% to 100%/;
  const { TaskDefinition: _dropped, ...withoutTaskDefinition } = WALKTHROUGH;

  const cases: [string, unknown, string, RegExp][] = [
    ['an unknown top-level key', { ...WALKTHROUGH, Foo: 1 }, 'Foo', /^Foo: unknown field \(expected one of Name, TaskDefinition, .*RollbackConfiguration, Service, TrafficRouting\)$/],
    ['a key that differs only in case', { ...DAEMON, cluster: 'default' }, 'cluster', /unknown field/],
    ['an unknown nested key', { ...WALKTHROUGH, DeploymentConfiguration: { Foo: 1 } }, 'DeploymentConfiguration.Foo', /unknown field \(expected one of Method, MinHealthyPercent, MaxOver/],
    ['an unknown rollback key', { ...DAEMON, RollbackConfiguration: { MinHealthy: 0 } }, 'RollbackConfiguration.MinHealthy', /unknown field/],
    ['an unknown instance group key', { ...DAEMON, InstanceGroup: { Query: '', Filter: 'x' } }, 'InstanceGroup.Filter', /unknown field \(expected one of Query\)/],
    ['an empty key', { ...DAEMON, '': 1 }, '""', /unknown field/],
    ['two unknown keys', { ...DAEMON, Foo: 1, Bar: 2 }, 'Foo', /^Foo: unknown fields Foo, Bar /],
    ['a wrong type', { ...WALKTHROUGH, Name: 5 }, 'Name', /^Name: expected a string$/],
    ['a missing TaskDefinition', withoutTaskDefinition, 'TaskDefinition', /^TaskDefinition: is required$/],
    ['a missing DeploymentType', { Name: 'a', TaskDefinition: 'a:1' }, 'DeploymentType', /^DeploymentType: is required$/],
    ['a wrong DeploymentType', { ...DAEMON, DeploymentType: 'daemon' }, 'DeploymentType', /expected "Daemon" or "Service"/],
    ['a task definition without a revision', { ...WALKTHROUGH, TaskDefinition: 'log-daemon' }, 'TaskDefinition', /expected "family:revision" \(e\.g\. "log-daemon:1"\) or a task definition ARN/],
    ['a task definition at revision 0', { ...WALKTHROUGH, TaskDefinition: 'log-daemon:0' }, 'TaskDefinition', /expected "family:revision"/],
    ['a task definition ARN of another service', { ...DAEMON, TaskDefinition: 'arn:aws:ecs:us-east-1:123456789012:service/log-daemon:1' }, 'TaskDefinition', /expected "family:revision"/],
    ['a name with a space', { ...WALKTHROUGH, Name: 'a b' }, 'Name', /expected 1 to 255 characters from A-Z a-z 0-9 _ \/ - \./],
    ['a name of 256 characters', { ...WALKTHROUGH, Name: 'n'.repeat(256) }, 'Name', /expected 1 to 255 characters/],
    ['an empty name', { ...WALKTHROUGH, Name: '' }, 'Name', /expected 1 to 255 characters/],
    ['a bad cluster', { ...DAEMON, Cluster: 'my cluster' }, 'Cluster', /expected a cluster name/],
    ['MinHealthyPercent 101', withConfiguration({ MinHealthyPercent: 101 }), 'DeploymentConfiguration.MinHealthyPercent', integer0to100],
    ['MinHealthyPercent "101"', withConfiguration({ MinHealthyPercent: '101' }), 'DeploymentConfiguration.MinHealthyPercent', integer0to100],
    ['MinHealthyPercent -1', withConfiguration({ MinHealthyPercent: -1 }), 'DeploymentConfiguration.MinHealthyPercent', integer0to100],
    ['MinHealthyPercent "abc"', withConfiguration({ MinHealthyPercent: 'abc' }), 'DeploymentConfiguration.MinHealthyPercent', integer0to100],
    ['MinHealthyPercent "lots" (the module doc example)', withConfiguration({ MinHealthyPercent: 'lots' }), 'DeploymentConfiguration.MinHealthyPercent', integer0to100],
    ['MinHealthyPercent 50.5', withConfiguration({ MinHealthyPercent: 50.5 }), 'DeploymentConfiguration.MinHealthyPercent', integer0to100],
    ['MinHealthyPercent "50.5"', withConfiguration({ MinHealthyPercent: '50.5' }), 'DeploymentConfiguration.MinHealthyPercent', integer0to100],
    ['MinHealthyPercent ""', withConfiguration({ MinHealthyPercent: '' }), 'DeploymentConfiguration.MinHealthyPercent', integer0to100],
    ['MinHealthyPercent 1e21', withConfiguration({ MinHealthyPercent: 1e21 }), 'DeploymentConfiguration.MinHealthyPercent', integer0to100],
    ['MinHealthyPercent true', withConfiguration({ MinHealthyPercent: true }), 'DeploymentConfiguration.MinHealthyPercent', integer0to100],
    ['MinHealthyPercent null', withConfiguration({ MinHealthyPercent: null }), 'DeploymentConfiguration.MinHealthyPercent', integer0to100],
    ['StuckAfterSeconds 0', withConfiguration({ StuckAfterSeconds: 0 }), 'DeploymentConfiguration.StuckAfterSeconds', /expected an integer from 1 to 604800/],
    ['FailingAfterSeconds over a week', { ...DAEMON, RollbackConfiguration: { FailingAfterSeconds: '604801' } }, 'RollbackConfiguration.FailingAfterSeconds', /expected an integer from 1 to 604800/],
    ['MaxOver 0', withConfiguration({ MaxOver: 0 }), 'DeploymentConfiguration.MaxOver', maxOverExpected],
    ['MaxOver "0"', withConfiguration({ MaxOver: '0' }), 'DeploymentConfiguration.MaxOver', maxOverExpected],
    ['MaxOver "0%"', withConfiguration({ MaxOver: '0%' }), 'DeploymentConfiguration.MaxOver', maxOverExpected],
    ['MaxOver "101%"', withConfiguration({ MaxOver: '101%' }), 'DeploymentConfiguration.MaxOver', maxOverExpected],
    ['MaxOver "999999" (over the count limit, as a string)', withConfiguration({ MaxOver: '999999' }), 'DeploymentConfiguration.MaxOver', maxOverExpected],
    ['MaxOver 1.5', withConfiguration({ MaxOver: 1.5 }), 'DeploymentConfiguration.MaxOver', maxOverExpected],
    ['MaxOver "20 %"', withConfiguration({ MaxOver: '20 %' }), 'DeploymentConfiguration.MaxOver', maxOverExpected],
    ['an unknown Method', withConfiguration({ Method: 'Blue' }), 'DeploymentConfiguration.Method', /expected one of Replace, Surge, Rolling, Canary, BlueGreen/],
    ['Method Rolling on a Daemon', withConfiguration({ Method: 'Rolling' }), 'DeploymentConfiguration.Method', /expected one of Replace, Surge for a Daemon environment/],
    ['rollback Method Surge on a Service', { ...SERVICE, RollbackConfiguration: { Method: 'Surge' } }, 'RollbackConfiguration.Method', /expected one of Rolling, Canary, BlueGreen for a Service environment/],
    ['DesiredCount on a Daemon', { ...WALKTHROUGH, DesiredCount: 3 }, 'DesiredCount', /^DesiredCount: only allowed when DeploymentType is Service/],
    ['a Service without DesiredCount', { ...SERVICE, DesiredCount: undefined }, 'DesiredCount', /^DesiredCount: is required when DeploymentType is Service$/],
    ['DesiredCount over 10000', { ...SERVICE, DesiredCount: 10001 }, 'DesiredCount', /expected an integer from 0 to 10000/],
    // Service environments: the Service block, and the keys that fit only one DeploymentType or Method.
    ['a Service block on a Daemon', { ...DAEMON, Service: { ServiceName: 'x' } }, 'Service', /^Service: only allowed when DeploymentType is Service$/],
    ['an InstanceGroup on a Service', { ...SERVICE, InstanceGroup: { Query: '' } }, 'InstanceGroup', /^InstanceGroup: only allowed when DeploymentType is Daemon/],
    ['MaxPercent on a Daemon', withConfiguration({ MaxPercent: 150 }), 'DeploymentConfiguration.MaxPercent', /only allowed when DeploymentType is Service and Method is Rolling \(this one is Daemon Replace\)/],
    ['MaxPercent on a Service Canary', { ...SERVICE, ...TRAFFIC, DeploymentConfiguration: { Method: 'Canary', MaxPercent: 150 } }, 'DeploymentConfiguration.MaxPercent', /only allowed when DeploymentType is Service and Method is Rolling \(this one is Service Canary\)/],
    ['MaxPercent 99', { ...SERVICE, DeploymentConfiguration: { MaxPercent: 99 } }, 'DeploymentConfiguration.MaxPercent', /expected an integer from 100 to 400/],
    ['MaxPercent "lots"', { ...SERVICE, DeploymentConfiguration: { MaxPercent: 'lots' } }, 'DeploymentConfiguration.MaxPercent', /expected an integer from 100 to 400/],
    ['MaxOver on a Service', { ...SERVICE, DeploymentConfiguration: { MaxOver: 1 } }, 'DeploymentConfiguration.MaxOver', /only allowed when DeploymentType is Daemon/],
    ['a canary task on a Daemon', withConfiguration({ CanaryTask: { HealthyChecks: 3 } }), 'DeploymentConfiguration.CanaryTask', /only allowed when DeploymentType is Service and Method is Rolling/],
    ['a canary task on a rollback that turns BlueGreen', { ...SERVICE, ...TRAFFIC, RollbackConfiguration: { Method: 'BlueGreen', CanaryTask: { HealthyChecks: 3 } } }, 'RollbackConfiguration.CanaryTask', /this one is Service BlueGreen/],
    ['HealthyChecks 0', { ...SERVICE, DeploymentConfiguration: { CanaryTask: { HealthyChecks: 0 } } }, 'DeploymentConfiguration.CanaryTask.HealthyChecks', /expected an integer from 1 to 100/],
    ['an unknown canary task key', { ...SERVICE, DeploymentConfiguration: { CanaryTask: { HealthyChecks: 3, Weight: 1 } } }, 'DeploymentConfiguration.CanaryTask.Weight', /unknown field/],
    ['a service name with a slash', { ...SERVICE, Service: { ServiceName: 'web/prod' } }, 'Service.ServiceName', /expected 1 to 255 characters from A-Z a-z 0-9 _ -/],
    ['an unknown Service key', { ...SERVICE, Service: { Cluster: 'x' } }, 'Service.Cluster', /^Service\.Cluster: unknown field \(expected one of ServiceName, LaunchType, NetworkConfiguration, LoadBalancer\)$/],
    ['a launch type EXTERNAL', { ...SERVICE, Service: { LaunchType: 'EXTERNAL' } }, 'Service.LaunchType', /expected "EC2" or "FARGATE"/],
    ['FARGATE without a network configuration', { ...SERVICE, Service: { LaunchType: 'FARGATE' } }, 'Service.NetworkConfiguration', /is required when LaunchType is FARGATE/],
    ['a subnet that is not one', { ...SERVICE, Service: { NetworkConfiguration: { Subnets: ['vpc-1'] } } }, 'Service.NetworkConfiguration.Subnets.0', /expected a subnet id/],
    ['no subnet', { ...SERVICE, Service: { NetworkConfiguration: { Subnets: [] } } }, 'Service.NetworkConfiguration.Subnets', /expected at least one/],
    ['a load balancer without a port', { ...SERVICE, Service: { LoadBalancer: { ContainerName: 'web', TargetGroupArn: TG } } }, 'Service.LoadBalancer.ContainerPort', /is required/],
    ['a port 0', { ...SERVICE, Service: { LoadBalancer: { ContainerName: 'web', ContainerPort: 0, TargetGroupArn: TG } } }, 'Service.LoadBalancer.ContainerPort', /expected an integer from 1 to 65535/],
    ['a load balancer ARN instead of a target group', { ...SERVICE, Service: { LoadBalancer: { ContainerName: 'web', ContainerPort: 80, TargetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/0123456789abcdef' } } }, 'Service.LoadBalancer.TargetGroupArn', /expected a target group ARN/],
    [
      'an unparsable query',
      { ...WALKTHROUGH, InstanceGroup: { Query: 'attribute:stack ==' } },
      'InstanceGroup.Query',
      /^InstanceGroup\.Query: expected a value after "==", found end of input at position 18\nattribute:stack ==\n {18}\^$/,
    ],
    ['a query of another type', { ...DAEMON, InstanceGroup: { Query: 5 } }, 'InstanceGroup.Query', /expected a string in the ECS cluster query language/],
    ['a query too long', { ...DAEMON, InstanceGroup: { Query: 'x'.repeat(2049) } }, 'InstanceGroup.Query', /^InstanceGroup\.Query: expected at most 2048 characters$/],
    ['an instance group without a query', { ...DAEMON, InstanceGroup: {} }, 'InstanceGroup.Query', /^InstanceGroup\.Query: is required$/],
    ['an instance group that is a string', { ...DAEMON, InstanceGroup: 'attribute:stack == prod' }, 'InstanceGroup', /^InstanceGroup: expected an object, got a string$/],
    ['a configuration that is a list', { ...DAEMON, DeploymentConfiguration: [] }, 'DeploymentConfiguration', /expected an object, got a list$/],
    ['a configuration that is null', { ...DAEMON, DeploymentConfiguration: null }, 'DeploymentConfiguration', /expected an object, got null$/],
    ['an empty object', {}, 'Name', /^Name: is required; TaskDefinition: is required; DeploymentType: is required$/],
  ];

  it.each(cases)('%s', (_label, input, field, message) => {
    const error = validationError(() => parseEnvironmentSpec(input));
    expect(error.field).toBe(field);
    expect(error.message.startsWith(`${field}: `)).toBe(true);
    expect(error.message).toMatch(message);
    expect(error.code).toBe('ValidationError');
  });

  const notObjects: [unknown, string][] = [
    [null, 'null'],
    [[], 'a list'],
    [[WALKTHROUGH], 'a list'],
    ['Name: x', 'a string'],
    [5, 'a number'],
    [true, 'a boolean'],
    [undefined, 'nothing'],
  ];
  it.each(notObjects)('refuses %j: not an object', (input, got) => {
    const error = validationError(() => parseEnvironmentSpec(input));
    expect(error.message).toBe(`environment spec: expected an object (a YAML or JSON mapping), got ${got}`);
    expect(error.field).toBeUndefined();
    const patchError = validationError(() => parseSpecPatch(input));
    expect(patchError.message).toBe(`update: expected an object (a YAML or JSON mapping), got ${got}`);
  });

  it('lists at most five problems, then how many more', () => {
    const error = validationError(() =>
      parseEnvironmentSpec({ Name: 1, TaskDefinition: 2, Cluster: 3, DeploymentType: 4, InstanceGroup: 5, DesiredCount: 'x', Foo: 1 }),
    );
    expect(error.field).toBe('Name');
    expect(error.message.split('; ')).toHaveLength(6);
    expect(error.message).toMatch(/; and 2 more$/);
  });
});

describe('parseSpecPatch', () => {
  const accepted: [string, Record<string, unknown>, SpecPatch][] = [
    ['nothing', {}, {}],
    ['a task definition', { TaskDefinition: 'log-daemon:2' }, { TaskDefinition: 'log-daemon:2' }],
    ['a nested field, normalised', { DeploymentConfiguration: { MinHealthyPercent: '80' } }, { DeploymentConfiguration: { MinHealthyPercent: 80 } }],
    ['a query', { InstanceGroup: { Query: 'attribute:stack == gamma' } }, { InstanceGroup: { Query: 'attribute:stack == gamma' } }],
    // Cross-field rules need the base: they are checked by mergeSpec.
    ['a DesiredCount alone', { DesiredCount: '3' }, { DesiredCount: 3 }],
    ['a whole spec', { ...WALKTHROUGH }, parseEnvironmentSpec(WALKTHROUGH)],
  ];
  it.each(accepted)('accepts %s', (_label, input, expected) => {
    expect(parseSpecPatch(input)).toStrictEqual(expected);
  });

  const refused: [string, Record<string, unknown>, string][] = [
    ['an unknown key', { Foo: 1 }, 'Foo'],
    ['Revision (the API strips it before parsing)', { Revision: 1 }, 'Revision'],
    ['a bad task definition', { TaskDefinition: 'x' }, 'TaskDefinition'],
    ['a bad nested value', { DeploymentConfiguration: { MinHealthyPercent: 'all' } }, 'DeploymentConfiguration.MinHealthyPercent'],
    ['an unparsable query', { InstanceGroup: { Query: '(' } }, 'InstanceGroup.Query'],
  ];
  it.each(refused)('refuses %s', (_label, input, field) => {
    const error = validationError(() => parseSpecPatch(input));
    expect(error.field).toBe(field);
    expect(error.message.startsWith(`${field}: `)).toBe(true);
  });
});

describe('isWholeSpec', () => {
  const cases: [string, SpecPatch, boolean][] = [
    ['empty', {}, false],
    ['only a task definition', { TaskDefinition: 'a:1' }, false],
    ['Name and TaskDefinition', { Name: 'a', TaskDefinition: 'a:1' }, false],
    ['Name, TaskDefinition and DeploymentType', { Name: 'a', TaskDefinition: 'a:1', DeploymentType: 'Daemon' }, true],
    ['the walkthrough', parseSpecPatch(WALKTHROUGH), true],
  ];
  it.each(cases)('%s → %s', (_label, patch, whole) => {
    expect(isWholeSpec(patch)).toBe(whole);
  });
});

describe('mergeSpec', () => {
  const base = parseEnvironmentSpec(WALKTHROUGH);
  const service = parseEnvironmentSpec({ ...SERVICE, ...TRAFFIC, DeploymentConfiguration: { Method: 'Canary', StuckAfterSeconds: 60 } });

  const merges: [string, EnvironmentSpec, Record<string, unknown>, Partial<EnvironmentSpec>][] = [
    ['replaces a top-level field', base, { TaskDefinition: 'log-daemon:2' }, { TaskDefinition: 'log-daemon:2' }],
    [
      'merges a nested field, keeping the base\'s others',
      base,
      { DeploymentConfiguration: { MinHealthyPercent: '80' } },
      { DeploymentConfiguration: { Method: 'Replace', MinHealthyPercent: 80 } },
    ],
    [
      'adds a nested object the base did not have',
      base,
      { RollbackConfiguration: { MinHealthyPercent: 0 } },
      { RollbackConfiguration: { MinHealthyPercent: 0 } },
    ],
    ['replaces the query', base, { InstanceGroup: { Query: 'attribute:stack == gamma' } }, { InstanceGroup: { Query: 'attribute:stack == gamma' } }],
    ['keeps the same Name and DeploymentType', base, { Name: base.Name, DeploymentType: 'Daemon' }, {}],
    ['changes a Service\'s DesiredCount', service, { DesiredCount: '6' }, { DesiredCount: 6, DeploymentConfiguration: { Method: 'Canary', StuckAfterSeconds: 60 } }],
    ['nothing', base, {}, {}],
  ];
  it.each(merges)('%s', (_label, from, patch, changed) => {
    const before = structuredClone(from);
    expect(mergeSpec(from, parseSpecPatch(patch))).toStrictEqual({ ...from, ...changed });
    expect(from).toStrictEqual(before); // the base is not mutated
  });

  const refusals: [string, EnvironmentSpec, Record<string, unknown>, string, RegExp][] = [
    ['a new Name', base, { Name: 'Other/Prod' }, 'Name', /^Name: cannot be changed by an update \(the environment is "SomeEnvironment\/Prod"\)$/],
    ['a new DeploymentType', base, { DeploymentType: 'Service', DesiredCount: 2 }, 'DeploymentType', /^DeploymentType: cannot change from Daemon to Service; create a new environment$/],
    ['a DesiredCount on a Daemon', base, { DesiredCount: 3 }, 'DesiredCount', /only allowed when DeploymentType is Service/],
    ['a Service method on a Daemon', base, { DeploymentConfiguration: { Method: 'Rolling' } }, 'DeploymentConfiguration.Method', /for a Daemon environment/],
    ['a Daemon method on a Service', service, { RollbackConfiguration: { Method: 'Replace' } }, 'RollbackConfiguration.Method', /for a Service environment/],
  ];
  it.each(refusals)('refuses %s', (_label, from, patch, field, message) => {
    const error = validationError(() => mergeSpec(from, parseSpecPatch(patch)));
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
  });
});

describe('serviceNameOf', () => {
  it('is the ServiceName when given, else the Name with what ECS refuses turned into "-"', () => {
    expect(serviceNameOf({ Name: 'Web/Prod' })).toBe('Web-Prod');
    expect(serviceNameOf({ Name: 'a.b/c_d-e' })).toBe('a-b-c_d-e');
    expect(serviceNameOf({ Name: 'Web/Prod', Service: { ServiceName: 'web-prod' } })).toBe('web-prod');
  });
});

describe('effectiveDeploymentConfiguration', () => {
  const defaults = { MaxOver: 1, StuckAfterSeconds: 300, FailingAfterSeconds: 900 };
  const cases: [string, Pick<EnvironmentSpec, 'DeploymentType' | 'DeploymentConfiguration'>, DeploymentConfiguration | undefined, EffectiveDeploymentConfiguration][] = [
    ['a Daemon: Replace at 50', { DeploymentType: 'Daemon' }, undefined, { Method: 'Replace', MinHealthyPercent: 50, ...defaults }],
    ['Replace given explicitly', { DeploymentType: 'Daemon', DeploymentConfiguration: { Method: 'Replace' } }, undefined, { Method: 'Replace', MinHealthyPercent: 50, ...defaults }],
    ['Surge: 100, MaxOver 1', { DeploymentType: 'Daemon', DeploymentConfiguration: { Method: 'Surge' } }, undefined, { Method: 'Surge', MinHealthyPercent: 100, ...defaults }],
    ['a Service: Rolling at 100, MaxPercent 200', { DeploymentType: 'Service' }, undefined, { Method: 'Rolling', MinHealthyPercent: 100, MaxPercent: 200, ...defaults }],
    ['Canary at 100', { DeploymentType: 'Service', DeploymentConfiguration: { Method: 'Canary' } }, undefined, { Method: 'Canary', MinHealthyPercent: 100, MaxPercent: 200, ...defaults }],
    [
      'Rolling with its MaxPercent and a canary task',
      { DeploymentType: 'Service', DeploymentConfiguration: { MinHealthyPercent: 50, MaxPercent: 150, CanaryTask: { HealthyChecks: 3 } } },
      undefined,
      { Method: 'Rolling', MinHealthyPercent: 50, MaxPercent: 150, CanaryTask: { HealthyChecks: 3 }, ...defaults },
    ],
    [
      "the walkthrough's spec",
      parseEnvironmentSpec(WALKTHROUGH),
      undefined,
      { Method: 'Replace', MinHealthyPercent: 100, ...defaults },
    ],
    [
      'every value given',
      { DeploymentType: 'Daemon', DeploymentConfiguration: { Method: 'Surge', MinHealthyPercent: 75, MaxOver: '20%', StuckAfterSeconds: 60, FailingAfterSeconds: 120 } },
      undefined,
      { Method: 'Surge', MinHealthyPercent: 75, MaxOver: '20%', StuckAfterSeconds: 60, FailingAfterSeconds: 120 },
    ],
    [
      'a rollback: its configuration over the spec\'s',
      { DeploymentType: 'Daemon', DeploymentConfiguration: { Method: 'Replace', MinHealthyPercent: 100, StuckAfterSeconds: 60 } },
      { MinHealthyPercent: 0 },
      { Method: 'Replace', MinHealthyPercent: 0, MaxOver: 1, StuckAfterSeconds: 60, FailingAfterSeconds: 900 },
    ],
    [
      'a rollback that changes the method takes that method\'s default',
      { DeploymentType: 'Daemon' },
      { Method: 'Surge', MaxOver: 3 },
      { Method: 'Surge', MinHealthyPercent: 100, MaxOver: 3, StuckAfterSeconds: 300, FailingAfterSeconds: 900 },
    ],
    ['an empty rollback configuration changes nothing', { DeploymentType: 'Service' }, {}, { Method: 'Rolling', MinHealthyPercent: 100, MaxPercent: 200, ...defaults }],
  ];
  it.each(cases)('%s', (_label, spec, rollback, expected) => {
    expect(effectiveDeploymentConfiguration(spec, rollback)).toStrictEqual(expected);
  });
});

describe('describeIssues', () => {
  const issuesOf = (input: unknown) => {
    const result = specSchemas().environmentSpecSchema.safeParse(input, { reportInput: true });
    if (result.success) throw new Error('expected issues');
    return result.error.issues;
  };

  it('names the first field and every problem', () => {
    expect(describeIssues(issuesOf({ ...DAEMON, Name: 1, TaskDefinition: 'x' }))).toStrictEqual({
      field: 'Name',
      message: 'Name: expected a string; TaskDefinition: expected "family:revision" (e.g. "log-daemon:1") or a task definition ARN',
    });
  });

  it('prefixes every path', () => {
    const { field, message } = describeIssues(issuesOf({ ...DAEMON, DeploymentConfiguration: { MaxOver: 0 } }), 'Spec');
    expect(field).toBe('Spec.DeploymentConfiguration.MaxOver');
    expect(message).toMatch(/^Spec\.DeploymentConfiguration\.MaxOver: expected a count/);
    expect(describeIssues(issuesOf({ ...DAEMON, Foo: 1 }), 'Spec').field).toBe('Spec.Foo');
  });

  it('says a value once even when it fails several checks', () => {
    const { message } = describeIssues(issuesOf({ ...DAEMON, DeploymentConfiguration: { MinHealthyPercent: 1e21 } }));
    expect(message).toBe('DeploymentConfiguration.MinHealthyPercent: expected an integer from 0 to 100 (a number or a numeric string)');
  });

  it('quotes and cuts short an unknown key that is not plain', () => {
    const { field, message } = describeIssues(issuesOf({ ...DAEMON, [`a b${'x'.repeat(100)}`]: 1 }));
    expect(field).toBe(JSON.stringify(`a b${'x'.repeat(61)}…`));
    expect(message.startsWith(`${field}: unknown field`)).toBe(true);
  });

  it('gives an empty field when there is no issue', () => {
    expect(describeIssues([])).toStrictEqual({ field: '', message: '' });
  });
});

describe('property: any JSON either parses to a fixed point or is refused with a ValidationError naming its field', () => {
  const VALID_SPECS: Record<string, unknown>[] = [
    { ...WALKTHROUGH },
    { ...SERVICE, Cluster: 'arn:aws:ecs:us-east-1:123456789012:cluster/web', DeploymentConfiguration: { Method: 'Canary', MaxOver: '20%' } },
    { ...DAEMON, RollbackConfiguration: { Method: 'Surge', MinHealthyPercent: 0, StuckAfterSeconds: '30', FailingAfterSeconds: 60 } },
  ];

  /** Every path to a key in `value` (objects only), e.g. ['DeploymentConfiguration', 'Method']. */
  function keyPaths(value: unknown, prefix: string[] = []): string[][] {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return [];
    return Object.entries(value).flatMap(([key, child]) => [[...prefix, key], ...keyPaths(child, [...prefix, key])]);
  }

  /** Applies `change` to the object at `path` (the parent of the key) in a deep copy of `spec`. */
  function mutate(spec: Record<string, unknown>, path: string[], change: (parent: Record<string, unknown>, key: string) => void): unknown {
    const copy = structuredClone(spec);
    let parent: Record<string, unknown> = copy;
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
    change(parent, path[path.length - 1]!);
    return copy;
  }

  /** The root and every nested object's path. */
  function objectPaths(spec: Record<string, unknown>): string[][] {
    const isObject = (path: string[]) => {
      const value = path.reduce<unknown>((object, name) => (object as Record<string, unknown>)[name], spec);
      return value !== null && typeof value === 'object' && !Array.isArray(value);
    };
    return [[], ...keyPaths(spec).filter(isObject)];
  }

  const key = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('Name', 'DesiredCount', 'Method', 'MaxOver', 'Query', '__proto__', 'constructor'));
  const mutation = fc.constantFrom(...VALID_SPECS).chain((spec) => {
    const paths = keyPaths(spec);
    return fc.oneof(
      // Drop a key.
      fc.constantFrom(...paths).map((path) => mutate(spec, path, (parent, k) => delete parent[k])),
      // Replace a value with arbitrary JSON.
      fc.tuple(fc.constantFrom(...paths), fc.jsonValue()).map(([path, value]) => mutate(spec, path, (parent, k) => (parent[k] = value))),
      // Add a key, at the top or inside a nested object (as an own property, as JSON.parse makes "__proto__").
      fc.tuple(fc.constantFrom(...objectPaths(spec)), key, fc.jsonValue()).map(([path, k, value]) => {
        const copy = structuredClone(spec);
        const target = path.reduce<Record<string, unknown>>((object, name) => object[name] as Record<string, unknown>, copy);
        Object.defineProperty(target, k, { value, enumerable: true, writable: true, configurable: true });
        return copy;
      }),
      // Replace a value with something close to valid.
      fc
        .tuple(fc.constantFrom(...paths), fc.oneof(fc.integer({ min: -5, max: 200 }).map(String), fc.constantFrom('20%', '0%', '1%', 'Surge', 'Rolling', 'Service', 'Daemon', 'log-daemon:2', '')))
        .map(([path, value]) => mutate(spec, path, (parent, k) => (parent[k] = value))),
    );
  });

  function check(input: unknown): void {
    let spec: EnvironmentSpec;
    try {
      spec = parseEnvironmentSpec(input);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      expect(error.message).not.toBe('');
      if (error.field !== undefined) {
        expect(error.field).not.toBe('');
        expect(error.message.startsWith(`${error.field}: `)).toBe(true);
      }
      return;
    }
    expect(parseEnvironmentSpec(spec)).toStrictEqual(spec);
    // What is stored goes through JSON (the revision log); it must come back the same.
    expect(parseEnvironmentSpec(JSON.parse(JSON.stringify(spec)))).toStrictEqual(spec);
  }

  it('parseEnvironmentSpec (10,000 runs)', () => {
    fc.assert(fc.property(fc.oneof(fc.jsonValue(), mutation, mutation), check), { numRuns: 10_000 });
  });

  it('parseSpecPatch and mergeSpec (3,000 runs)', () => {
    const base = parseEnvironmentSpec(WALKTHROUGH);
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), mutation), (input) => {
        let patch: SpecPatch;
        try {
          patch = parseSpecPatch(input);
        } catch (error) {
          if (!(error instanceof ValidationError)) throw error;
          if (error.field !== undefined) expect(error.message.startsWith(`${error.field}: `)).toBe(true);
          return;
        }
        expect(parseSpecPatch(patch)).toStrictEqual(patch);
        try {
          const merged = mergeSpec(base, patch);
          expect(parseEnvironmentSpec(merged)).toStrictEqual(merged);
        } catch (error) {
          if (!(error instanceof ValidationError)) throw error;
          if (error.field !== undefined) expect(error.message.startsWith(`${error.field}: `)).toBe(true);
        }
      }),
      { numRuns: 3_000 },
    );
  });

  it('the mutations do produce valid specs as well as invalid ones', () => {
    const outcomes = fc.sample(mutation, { numRuns: 2_000, seed: 42 }).map((input) => {
      try {
        parseEnvironmentSpec(input);
        return 'valid';
      } catch {
        return 'invalid';
      }
    });
    expect(outcomes).toContain('valid');
    expect(outcomes).toContain('invalid');
  });
});

describe('safety keys: Alarms, BakeSeconds, CircuitBreaker, Canary', () => {
  const withConfiguration = (configuration: Record<string, unknown>, base: Record<string, unknown> = DAEMON) => ({ ...base, DeploymentConfiguration: configuration });

  it('accepts them, numbers from numeric strings, and stores them as given', () => {
    const spec = parseEnvironmentSpec(
      withConfiguration({
        BakeSeconds: '120',
        Alarms: { AlarmNames: ['daemon-errors'], Rollback: false },
        CircuitBreaker: { FailedTasks: '20%' },
        Canary: { Instances: '2', BakeSeconds: 600 },
      }),
    );
    expect(spec.DeploymentConfiguration).toStrictEqual({
      BakeSeconds: 120,
      Alarms: { AlarmNames: ['daemon-errors'], Rollback: false },
      CircuitBreaker: { FailedTasks: '20%' },
      Canary: { Instances: 2, BakeSeconds: 600 },
    });
  });

  it('fills in the defaults when a deployment starts: Rollback true, each alarm once; absent keys stay absent', () => {
    const spec = parseEnvironmentSpec(withConfiguration({ Alarms: { AlarmNames: ['a', 'b', 'a'] }, CircuitBreaker: {} }));
    expect(effectiveDeploymentConfiguration(spec)).toStrictEqual({
      Method: 'Replace',
      MinHealthyPercent: 50,
      MaxOver: 1,
      StuckAfterSeconds: 300,
      FailingAfterSeconds: 900,
      Alarms: { AlarmNames: ['a', 'b'], Rollback: true },
      CircuitBreaker: { Rollback: true },
    });
  });

  const countOrPercent = /expected a count from 1 to 100000 or a percentage from 1% to 100%/;
  const cases: [string, unknown, string, RegExp][] = [
    ['an unknown key in Alarms', withConfiguration({ Alarms: { AlarmNames: ['a'], Names: ['b'] } }), 'DeploymentConfiguration.Alarms.Names', /unknown field \(expected one of AlarmNames, Rollback\)$/],
    ['no AlarmNames', withConfiguration({ Alarms: { Rollback: true } }), 'DeploymentConfiguration.Alarms.AlarmNames', /is required$/],
    ['an empty AlarmNames', withConfiguration({ Alarms: { AlarmNames: [] } }), 'DeploymentConfiguration.Alarms.AlarmNames', /expected a list of 1 to 10 CloudWatch alarm names$/],
    ['11 alarm names', withConfiguration({ Alarms: { AlarmNames: Array.from({ length: 11 }, (_, i) => `a${i}`) } }), 'DeploymentConfiguration.Alarms.AlarmNames', /expected a list of 1 to 10/],
    ['an empty alarm name', withConfiguration({ Alarms: { AlarmNames: [''] } }), 'DeploymentConfiguration.Alarms.AlarmNames.0', /expected a CloudWatch alarm name/],
    ['Rollback "yes"', withConfiguration({ Alarms: { AlarmNames: ['a'], Rollback: 'yes' } }), 'DeploymentConfiguration.Alarms.Rollback', /expected true or false$/],
    ['BakeSeconds -1', withConfiguration({ BakeSeconds: -1 }), 'DeploymentConfiguration.BakeSeconds', /expected an integer from 0 to 604800/],
    ['FailedTasks 0', withConfiguration({ CircuitBreaker: { FailedTasks: 0 } }), 'DeploymentConfiguration.CircuitBreaker.FailedTasks', countOrPercent],
    ['FailedTasks "150%"', withConfiguration({ CircuitBreaker: { FailedTasks: '150%' } }), 'DeploymentConfiguration.CircuitBreaker.FailedTasks', countOrPercent],
    ['CircuitBreaker.Rollback 1', withConfiguration({ CircuitBreaker: { Rollback: 1 } }), 'DeploymentConfiguration.CircuitBreaker.Rollback', /expected true or false$/],
    ['Canary without Instances', withConfiguration({ Canary: { BakeSeconds: 60 } }), 'DeploymentConfiguration.Canary.Instances', /is required$/],
    ['Canary Instances "0%"', withConfiguration({ Canary: { Instances: '0%', BakeSeconds: 60 } }), 'DeploymentConfiguration.Canary.Instances', countOrPercent],
    ['Canary without BakeSeconds', withConfiguration({ Canary: { Instances: 1 } }), 'DeploymentConfiguration.Canary.BakeSeconds', /is required$/],
    ['an unknown key in Canary', withConfiguration({ Canary: { Instances: 1, BakeSeconds: 1, Hosts: 2 } }), 'DeploymentConfiguration.Canary.Hosts', /unknown field \(expected one of Instances, BakeSeconds\)$/],
    ['Canary on a Service', withConfiguration({ Canary: { Instances: 1, BakeSeconds: 1 } }, SERVICE), 'DeploymentConfiguration.Canary', /only allowed when DeploymentType is Daemon$/],
  ];
  it.each(cases)('refuses %s, naming the field', (_label, input, field, message) => {
    const error = validationError(() => parseEnvironmentSpec(input));
    expect(error.field).toBe(field);
    expect(error.message).toMatch(new RegExp(`^${field.replace(/\./g, '\\.')}: `));
    expect(error.message).toMatch(message);
  });
});
