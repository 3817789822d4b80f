/**
 * The spec's progressive-traffic keys (Service Canary and BlueGreen): `DeploymentConfiguration.Steps`,
 * `DeploymentConfiguration.Hooks` and `TrafficRouting` — what is accepted (and how it is stored and
 * defaulted), and what is refused, every message naming its field.
 */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../domain/errors';
import { canarySteps, effectiveDeploymentConfiguration, mergeSpec, parseEnvironmentSpec } from '../../domain/spec';

const TG_BLUE = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-blue/0123456789abcdef';
const TG_GREEN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-green/fedcba9876543210';
const TG_OTHER = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/00000000000000aa';
const RULE = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web-alb/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee';
const TEST_RULE = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web-alb/50dc6c495c0c9188/f2f7dc8efc522ab2/1111b2d02a6cabee';
const LB_A = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web-a/50dc6c495c0c9188';
const SMOKE = 'arn:aws:lambda:us-east-1:123456789012:function:smoke-ok';

const ALB = { ListenerRuleArn: RULE, BlueTargetGroupArn: TG_BLUE, GreenTargetGroupArn: TG_GREEN };
const ROUTE53 = {
  HostedZoneId: 'Z0123456789ABCDEFGHIJ',
  RecordName: 'web.example.internal',
  Blue: { SetIdentifier: 'blue', TargetGroupArn: TG_BLUE, LoadBalancerArn: LB_A },
  Green: { SetIdentifier: 'green', TargetGroupArn: TG_GREEN },
};
const BALANCER = { ContainerName: 'web', ContainerPort: 8080 };

/** A Service Canary over the ALB (`configuration` over Method Canary). */
function canary(configuration: Record<string, unknown> = {}, rest: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    Name: 'Web/Prod',
    TaskDefinition: 'web:7',
    DeploymentType: 'Service',
    DesiredCount: 4,
    DeploymentConfiguration: { Method: 'Canary', ...configuration },
    Service: { LoadBalancer: BALANCER },
    TrafficRouting: { Alb: ALB },
    ...rest,
  };
}
const blueGreen = (configuration: Record<string, unknown> = {}, rest: Record<string, unknown> = {}) =>
  canary({ Method: 'BlueGreen', ...configuration }, { TrafficRouting: { Alb: { ...ALB, TestListenerRuleArn: TEST_RULE } }, ...rest });

function validationError(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw new Error(`expected a ValidationError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected a ValidationError, but nothing was thrown');
}

describe('Steps, Hooks and TrafficRouting: accepted specs', () => {
  const accepted: Array<[string, Record<string, unknown>]> = [
    ['a Canary over the ALB with steps and pauses', canary({ Steps: [{ SetWeight: 10 }, { Pause: { Seconds: 300 } }, { SetWeight: '50' }, { Pause: {} }] })],
    ['a Canary whose steps reach 100', canary({ Steps: [{ SetWeight: 0 }, { SetWeight: 100 }, { Pause: { Seconds: 60 } }] })],
    ['equal weights in a row', canary({ Steps: [{ SetWeight: 20 }, { SetWeight: 20 }] })],
    ['a Canary without Steps (one step to 100)', canary()],
    ['a Canary over Route 53', canary({ Steps: [{ SetWeight: 10 }] }, { TrafficRouting: { Route53: ROUTE53 } })],
    ['a BlueGreen with its test rule and hooks', blueGreen({ BakeSeconds: 600, Hooks: [{ Stage: 'PostTestTraffic', FunctionArn: SMOKE }, { Stage: 'PreRollback', FunctionArn: `${SMOKE}:live`, TimeoutSeconds: '60' }] })],
    ['hooks on a Service Rolling', { Name: 'W', TaskDefinition: 'web:1', DeploymentType: 'Service', DesiredCount: 1, DeploymentConfiguration: { Hooks: [{ Stage: 'PreTraffic', FunctionArn: SMOKE }] } }],
    ['a LoadBalancer naming the blue target group', canary({}, { Service: { LoadBalancer: { ...BALANCER, TargetGroupArn: TG_BLUE } } })],
    ['a LoadBalancer naming the green target group over Route 53', canary({}, { Service: { LoadBalancer: { ...BALANCER, TargetGroupArn: TG_GREEN } }, TrafficRouting: { Route53: ROUTE53 } })],
    ['a Rolling whose rollbacks are Canary, with TrafficRouting', { ...canary({ Method: 'Rolling' }), RollbackConfiguration: { Method: 'Canary' }, Service: { LoadBalancer: BALANCER } }],
    ['a record name with a trailing dot and a partition ARN', canary({}, { TrafficRouting: { Route53: { ...ROUTE53, RecordName: 'web.example.com.', Green: { SetIdentifier: 'g', TargetGroupArn: TG_GREEN.replace('arn:aws:', 'arn:aws-cn:') } } } })],
  ];
  it.each(accepted)('%s', (_label, input) => {
    const spec = parseEnvironmentSpec(input);
    expect(parseEnvironmentSpec(JSON.parse(JSON.stringify(spec)))).toStrictEqual(spec);
  });

  it('stores steps and hooks as given (numbers from numeric strings, no defaults)', () => {
    const spec = parseEnvironmentSpec(blueGreen({ Hooks: [{ Stage: 'PreTraffic', FunctionArn: SMOKE, TimeoutSeconds: '30' }, { Stage: 'PostTraffic', FunctionArn: SMOKE }] }));
    expect(spec.DeploymentConfiguration?.Hooks).toStrictEqual([
      { Stage: 'PreTraffic', FunctionArn: SMOKE, TimeoutSeconds: 30 },
      { Stage: 'PostTraffic', FunctionArn: SMOKE },
    ]);
    expect(parseEnvironmentSpec(canary({ Steps: [{ SetWeight: '10' }, { Pause: {} }] })).DeploymentConfiguration?.Steps).toStrictEqual([{ SetWeight: 10 }, { Pause: {} }]);
  });

  it('a deployment runs the steps with SetWeight 100 implied at the end, and hooks with TimeoutSeconds 300 by default', () => {
    const spec = parseEnvironmentSpec(canary({ Steps: [{ SetWeight: 10 }, { Pause: { Seconds: 300 } }, { SetWeight: 50 }, { Pause: {} }], Hooks: [{ Stage: 'PreTraffic', FunctionArn: SMOKE }] }));
    const effective = effectiveDeploymentConfiguration(spec);
    expect(effective.Steps).toStrictEqual([{ SetWeight: 10 }, { Pause: { Seconds: 300 } }, { SetWeight: 50 }, { Pause: {} }, { SetWeight: 100 }]);
    expect(effective.Hooks).toStrictEqual([{ Stage: 'PreTraffic', FunctionArn: SMOKE, TimeoutSeconds: 300 }]);
    expect(canarySteps([{ SetWeight: 100 }, { Pause: { Seconds: 60 } }])).toStrictEqual([{ SetWeight: 100 }, { Pause: { Seconds: 60 } }]);
    expect(effectiveDeploymentConfiguration(parseEnvironmentSpec(canary())).Steps).toBeUndefined();
  });

  it('an update replaces TrafficRouting whole (switching from Alb to Route53 keeps no Alb) and Steps whole', () => {
    const base = parseEnvironmentSpec(canary({ Steps: [{ SetWeight: 10 }, { SetWeight: 50 }] }));
    const merged = mergeSpec(base, { TrafficRouting: { Route53: parseEnvironmentSpec(canary({}, { TrafficRouting: { Route53: ROUTE53 } })).TrafficRouting!.Route53 }, DeploymentConfiguration: { Steps: [{ SetWeight: 5 }] } });
    expect(merged.TrafficRouting).toStrictEqual({ Route53: ROUTE53 });
    expect(merged.DeploymentConfiguration).toStrictEqual({ Method: 'Canary', Steps: [{ SetWeight: 5 }] });
  });
});

describe('Steps, Hooks and TrafficRouting: refused specs name the field', () => {
  const daemon = { Name: 'Fleet', TaskDefinition: 'd:1', DeploymentType: 'Daemon' };
  const rolling = { Name: 'W', TaskDefinition: 'web:1', DeploymentType: 'Service', DesiredCount: 2, Service: { LoadBalancer: { ...BALANCER, TargetGroupArn: TG_OTHER } } };
  const cases: Array<[string, unknown, string, RegExp]> = [
    // Steps
    ['a weight above 100', canary({ Steps: [{ SetWeight: 101 }] }), 'DeploymentConfiguration.Steps.0.SetWeight', /expected an integer from 0 to 100/],
    ['a weight that goes down', canary({ Steps: [{ SetWeight: 50 }, { Pause: {} }, { SetWeight: 30 }] }), 'DeploymentConfiguration.Steps.2.SetWeight', /expected at least 50: weights never go down \(step 1 set 50\)$/],
    ['a step with both keys', canary({ Steps: [{ SetWeight: 10, Pause: {} }] }), 'DeploymentConfiguration.Steps.0', /expected exactly one of SetWeight, Pause/],
    ['an empty step', canary({ Steps: [{}] }), 'DeploymentConfiguration.Steps.0', /expected exactly one of SetWeight, Pause/],
    ['an unknown step', canary({ Steps: [{ Analysis: {} }] }), 'DeploymentConfiguration.Steps.0.Analysis', /unknown field \(expected one of SetWeight, Pause\)/],
    ['Pause Seconds 0', canary({ Steps: [{ Pause: { Seconds: 0 } }] }), 'DeploymentConfiguration.Steps.0.Pause.Seconds', /expected an integer from 1 to 604800/],
    ['Pause with an unknown key', canary({ Steps: [{ Pause: { Minutes: 5 } }] }), 'DeploymentConfiguration.Steps.0.Pause.Minutes', /unknown field \(expected one of Seconds\)$/],
    ['Pause "forever"', canary({ Steps: [{ Pause: 'forever' }] }), 'DeploymentConfiguration.Steps.0.Pause', /expected an object, got a string/],
    ['an empty Steps', canary({ Steps: [] }), 'DeploymentConfiguration.Steps', /expected a list of 1 to 50 steps/],
    ['Steps not a list', canary({ Steps: { SetWeight: 10 } }), 'DeploymentConfiguration.Steps', /expected a list of 1 to 50 steps/],
    ['51 steps', canary({ Steps: Array.from({ length: 51 }, () => ({ SetWeight: 10 })) }), 'DeploymentConfiguration.Steps', /expected a list of 1 to 50 steps/],
    ['Steps on a BlueGreen', blueGreen({ Steps: [{ SetWeight: 10 }] }), 'DeploymentConfiguration.Steps', /only allowed when DeploymentType is Service and Method is Canary \(this one is Service BlueGreen\)$/],
    ['Steps on a Rolling', { ...rolling, DeploymentConfiguration: { Steps: [{ SetWeight: 10 }] } }, 'DeploymentConfiguration.Steps', /only allowed when DeploymentType is Service and Method is Canary \(this one is Service Rolling\)$/],
    ['Steps on a Daemon', { ...daemon, DeploymentConfiguration: { Steps: [{ SetWeight: 10 }] } }, 'DeploymentConfiguration.Steps', /this one is Daemon Replace/],
    ['Steps in RollbackConfiguration', { ...canary(), RollbackConfiguration: { Steps: [{ SetWeight: 10 }] } }, 'RollbackConfiguration.Steps', /only allowed in DeploymentConfiguration/],
    // Hooks
    ['an unknown stage', canary({ Hooks: [{ Stage: 'PreDeploy', FunctionArn: SMOKE }] }), 'DeploymentConfiguration.Hooks.0.Stage', /expected one of PreTraffic, PostTestTraffic, PostTraffic, PreRollback, PostRollback$/],
    ['a function name instead of an ARN', canary({ Hooks: [{ Stage: 'PreTraffic', FunctionArn: 'smoke-ok' }] }), 'DeploymentConfiguration.Hooks.0.FunctionArn', /expected a Lambda function ARN/],
    ['an ARN of another service', canary({ Hooks: [{ Stage: 'PreTraffic', FunctionArn: 'arn:aws:sns:us-east-1:123456789012:function:x' }] }), 'DeploymentConfiguration.Hooks.0.FunctionArn', /expected a Lambda function ARN/],
    ['TimeoutSeconds 3601', canary({ Hooks: [{ Stage: 'PreTraffic', FunctionArn: SMOKE, TimeoutSeconds: 3601 }] }), 'DeploymentConfiguration.Hooks.0.TimeoutSeconds', /expected an integer from 1 to 3600/],
    ['a hook without FunctionArn', canary({ Hooks: [{ Stage: 'PreTraffic' }] }), 'DeploymentConfiguration.Hooks.0.FunctionArn', /is required$/],
    ['a hook with an unknown key', canary({ Hooks: [{ Stage: 'PreTraffic', FunctionArn: SMOKE, Payload: {} }] }), 'DeploymentConfiguration.Hooks.0.Payload', /unknown field \(expected one of Stage, FunctionArn, TimeoutSeconds\)$/],
    ['PostTestTraffic on a Canary', canary({ Hooks: [{ Stage: 'PreTraffic', FunctionArn: SMOKE }, { Stage: 'PostTestTraffic', FunctionArn: SMOKE }] }), 'DeploymentConfiguration.Hooks.1.Stage', /PostTestTraffic is only allowed when Method is BlueGreen \(this one is Service Canary\)/],
    ['Hooks on a Daemon', { ...daemon, DeploymentConfiguration: { Hooks: [{ Stage: 'PreTraffic', FunctionArn: SMOKE }] } }, 'DeploymentConfiguration.Hooks', /only allowed when DeploymentType is Service \(this one is Daemon Replace\)$/],
    ['Hooks in RollbackConfiguration', { ...canary(), RollbackConfiguration: { Hooks: [{ Stage: 'PreRollback', FunctionArn: SMOKE }] } }, 'RollbackConfiguration.Hooks', /only allowed in DeploymentConfiguration/],
    ['11 hooks', canary({ Hooks: Array.from({ length: 11 }, () => ({ Stage: 'PreTraffic', FunctionArn: SMOKE })) }), 'DeploymentConfiguration.Hooks', /expected a list of 1 to 10 hooks/],
    // TrafficRouting: where it is required and allowed
    ['a Canary without TrafficRouting', { ...canary(), TrafficRouting: undefined }, 'TrafficRouting', /is required when DeploymentConfiguration\.Method is Canary/],
    ['a BlueGreen without TrafficRouting', { ...blueGreen(), TrafficRouting: undefined }, 'TrafficRouting', /is required when DeploymentConfiguration\.Method is BlueGreen/],
    ['a Canary rollback without TrafficRouting', { ...rolling, RollbackConfiguration: { Method: 'Canary' } }, 'TrafficRouting', /is required when RollbackConfiguration\.Method is Canary/],
    ['TrafficRouting on a Rolling', { ...canary({ Method: 'Rolling' }) }, 'TrafficRouting', /only allowed when Method is Canary or BlueGreen \(this one is Service Rolling\)$/],
    ['TrafficRouting on a Daemon', { ...daemon, TrafficRouting: { Alb: ALB } }, 'TrafficRouting', /only allowed when DeploymentType is Service and Method is Canary or BlueGreen$/],
    ['neither Alb nor Route53', canary({}, { TrafficRouting: {} }), 'TrafficRouting', /expected exactly one of Alb, Route53 \(neither given\)$/],
    ['both Alb and Route53', canary({}, { TrafficRouting: { Alb: ALB, Route53: ROUTE53 } }), 'TrafficRouting', /expected exactly one of Alb, Route53 \(both given\)$/],
    ['an unknown routing', canary({}, { TrafficRouting: { Nlb: {} } }), 'TrafficRouting.Nlb', /unknown field \(expected one of Alb, Route53\)/],
    ['Route53 with BlueGreen', blueGreen({}, { TrafficRouting: { Route53: ROUTE53 } }), 'TrafficRouting.Route53', /only allowed when Method is Canary/],
    // Alb
    ['a BlueGreen without the test rule', blueGreen({}, { TrafficRouting: { Alb: ALB } }), 'TrafficRouting.Alb.TestListenerRuleArn', /is required when Method is BlueGreen/],
    ['a listener ARN instead of a rule', canary({}, { TrafficRouting: { Alb: { ...ALB, ListenerRuleArn: RULE.replace('listener-rule', 'listener').replace(/\/9683b2d02a6cabee$/, '') } } }), 'TrafficRouting.Alb.ListenerRuleArn', /expected an Application Load Balancer listener rule ARN/],
    ['a Network Load Balancer rule', canary({}, { TrafficRouting: { Alb: { ...ALB, ListenerRuleArn: RULE.replace('/app/', '/net/') } } }), 'TrafficRouting.Alb.ListenerRuleArn', /listener rule ARN/],
    ['a target group name', canary({}, { TrafficRouting: { Alb: { ...ALB, GreenTargetGroupArn: 'web-green' } } }), 'TrafficRouting.Alb.GreenTargetGroupArn', /expected a target group ARN/],
    ['the same target group twice', canary({}, { TrafficRouting: { Alb: { ...ALB, GreenTargetGroupArn: TG_BLUE } } }), 'TrafficRouting.Alb.GreenTargetGroupArn', /expected a different target group from BlueTargetGroupArn$/],
    ['the test rule is the production rule', blueGreen({}, { TrafficRouting: { Alb: { ...ALB, TestListenerRuleArn: RULE } } }), 'TrafficRouting.Alb.TestListenerRuleArn', /expected a different listener rule from ListenerRuleArn$/],
    ['an Alb without its blue target group', canary({}, { TrafficRouting: { Alb: { ListenerRuleArn: RULE, GreenTargetGroupArn: TG_GREEN } } }), 'TrafficRouting.Alb.BlueTargetGroupArn', /is required$/],
    // Route53
    ['a hosted zone id not starting with Z', canary({}, { TrafficRouting: { Route53: { ...ROUTE53, HostedZoneId: 'example.internal' } } }), 'TrafficRouting.Route53.HostedZoneId', /expected a Route 53 hosted zone id/],
    ['a record name with a space', canary({}, { TrafficRouting: { Route53: { ...ROUTE53, RecordName: 'web example' } } }), 'TrafficRouting.Route53.RecordName', /expected a DNS name/],
    ['the same set identifier twice', canary({}, { TrafficRouting: { Route53: { ...ROUTE53, Green: { ...ROUTE53.Green, SetIdentifier: 'blue' } } } }), 'TrafficRouting.Route53.Green.SetIdentifier', /expected a different SetIdentifier from Blue\.SetIdentifier$/],
    ['the same target group on both sides', canary({}, { TrafficRouting: { Route53: { ...ROUTE53, Green: { ...ROUTE53.Green, TargetGroupArn: TG_BLUE } } } }), 'TrafficRouting.Route53.Green.TargetGroupArn', /expected a different target group from Blue\.TargetGroupArn$/],
    ['a bad load balancer ARN', canary({}, { TrafficRouting: { Route53: { ...ROUTE53, Blue: { ...ROUTE53.Blue, LoadBalancerArn: TG_BLUE } } } }), 'TrafficRouting.Route53.Blue.LoadBalancerArn', /expected a load balancer ARN/],
    ['a side without SetIdentifier', canary({}, { TrafficRouting: { Route53: { ...ROUTE53, Green: { TargetGroupArn: TG_GREEN } } } }), 'TrafficRouting.Route53.Green.SetIdentifier', /is required$/],
    ['an unknown key in a side', canary({}, { TrafficRouting: { Route53: { ...ROUTE53, Blue: { ...ROUTE53.Blue, Weight: 10 } } } }), 'TrafficRouting.Route53.Blue.Weight', /unknown field \(expected one of SetIdentifier, TargetGroupArn, LoadBalancerArn\)$/],
    // Service.LoadBalancer with and without TrafficRouting
    ['TrafficRouting without Service.LoadBalancer', canary({}, { Service: {} }), 'Service.LoadBalancer', /is required with TrafficRouting/],
    ['a LoadBalancer target group that is neither blue nor green', canary({}, { Service: { LoadBalancer: { ...BALANCER, TargetGroupArn: TG_OTHER } } }), 'Service.LoadBalancer.TargetGroupArn', /expected nothing, or one of the two target groups of TrafficRouting/],
    ['a Rolling LoadBalancer without its target group', { ...rolling, Service: { LoadBalancer: BALANCER } }, 'Service.LoadBalancer.TargetGroupArn', /is required without TrafficRouting/],
  ];
  it.each(cases)('refuses %s', (_label, input, field, message) => {
    const error = validationError(() => parseEnvironmentSpec(input));
    expect(error.field).toBe(field);
    expect(error.message).toMatch(new RegExp(`^${field.replace(/\./g, '\\.')}: `));
    expect(error.message).toMatch(message);
  });
});
