/**
 * The simulated ELBv2's load balancers, listeners and listener rules: their API shapes (PascalCase,
 * as DescribeLoadBalancers, DescribeListeners, DescribeRules and ModifyRule answer), the world
 * file's set-up shapes (camelCase), and the validation of a rule's actions. The state and the
 * traffic they route live in `elbv2.ts`; this module is what is checked and what is shown.
 *
 * What is enforced, and where it comes from (ELBv2 API Reference: Action, ForwardActionConfig,
 * TargetGroupTuple, TargetGroupStickinessConfig, FixedResponseActionConfig, ModifyRule's and
 * DescribeRules' Errors sections; "Quotas for your Application Load Balancers"):
 * - A forward action names its target groups with `TargetGroupArn` or `ForwardConfig.TargetGroups`
 *   (both: they must name the same one target group); at most 5 target groups per action
 *   ("Target groups per action"); each `Weight` 0–999 (absent: 1); a target group once per action.
 * - A target group of an Application Load Balancer belongs to one load balancer ("Load balancers per
 *   target group": 1): naming one that is another load balancer's is `TargetGroupAssociationLimit`
 *   ("You've reached the limit on the number of load balancers per target group."); one that does not
 *   exist is `TargetGroupNotFound` ("Target groups '<arn>' not found").
 * - `TargetGroupStickinessConfig.DurationSeconds` 1–604800; a fixed-response `StatusCode` 2XX, 4XX or 5XX.
 * - ModifyRule cannot change a listener's default rule (`OperationNotPermitted`: the API Reference
 *   sends you to ModifyListener for that).
 * - A bad value is a `ValidationError` in the query protocol's wording, naming the member
 *   (`actions.1.member.forwardConfig.targetGroups.2.member.weight`).
 *
 * Simplifications (not ELBv2's behaviour, the simulator's scope): a rule has one action, `forward`
 * or `fixed-response` (`redirect` and the `authenticate-*` actions are refused with
 * `InvalidLoadBalancerAction`, saying they are not simulated); conditions are kept as given and not
 * evaluated (see `elbv2.ts`, "Listener rules and traffic").
 */
import { constraintError, Elbv2Error, validationError } from './elbv2-errors';

// ── The API's shapes ─────────────────────────────────────────────────────────────────────────────

export interface TargetGroupTuple {
  TargetGroupArn?: string | undefined;
  Weight?: number | undefined;
}

export interface TargetGroupStickinessConfig {
  Enabled?: boolean | undefined;
  DurationSeconds?: number | undefined;
}

export interface ForwardActionConfig {
  TargetGroups?: TargetGroupTuple[] | undefined;
  TargetGroupStickinessConfig?: TargetGroupStickinessConfig | undefined;
}

export interface FixedResponseActionConfig {
  StatusCode?: string | undefined;
  ContentType?: string | undefined;
  MessageBody?: string | undefined;
}

/** An action as ModifyRule takes it (and DescribeRules answers it). */
export interface RuleActionInput {
  Type?: string | undefined;
  Order?: number | undefined;
  TargetGroupArn?: string | undefined;
  ForwardConfig?: ForwardActionConfig | undefined;
  FixedResponseConfig?: FixedResponseActionConfig | undefined;
  /** Not simulated (such actions are refused), accepted in the shape. */
  RedirectConfig?: unknown;
  AuthenticateOidcConfig?: unknown;
  AuthenticateCognitoConfig?: unknown;
}

export interface RuleActionDescription {
  Type: 'forward' | 'fixed-response';
  Order: number;
  TargetGroupArn?: string;
  ForwardConfig?: { TargetGroups: Array<{ TargetGroupArn: string; Weight: number }>; TargetGroupStickinessConfig: { Enabled: boolean; DurationSeconds?: number } };
  FixedResponseConfig?: { StatusCode: string; ContentType?: string; MessageBody?: string };
}

export interface RuleCondition {
  Field?: string | undefined;
  Values?: string[] | undefined;
  [other: string]: unknown;
}

export interface RuleDescription {
  RuleArn: string;
  /** `'1'`…`'50000'`, or `'default'`. */
  Priority: string;
  Conditions: RuleCondition[];
  Actions: RuleActionDescription[];
  IsDefault: boolean;
}

export interface ListenerDescription {
  ListenerArn: string;
  LoadBalancerArn: string;
  Port: number;
  Protocol: 'HTTP' | 'HTTPS';
  DefaultActions: RuleActionDescription[];
}

export interface LoadBalancerDescription {
  LoadBalancerArn: string;
  DNSName: string;
  CanonicalHostedZoneId: string;
  CreatedTime: Date;
  LoadBalancerName: string;
  Scheme: 'internet-facing';
  VpcId: string;
  State: { Code: 'active' };
  Type: 'application';
  AvailabilityZones: Array<{ ZoneName: string; SubnetId: string }>;
  SecurityGroups: string[];
  IpAddressType: 'ipv4';
}

// ── The world file's set-up (camelCase; target groups by name) ───────────────────────────────────

/** Target group name → weight (0–999). */
export type ForwardSetup = Record<string, number>;

export interface ListenerRuleSetup {
  /** 1–50000, unique in the listener; the lowest number is evaluated first. */
  priority: number;
  forward: ForwardSetup;
  /** Kept as the rule's path-pattern condition (not evaluated). Default `/*`. */
  pathPattern?: string | undefined;
}

export interface ListenerSetup {
  port: number;
  protocol?: 'HTTP' | 'HTTPS' | undefined;
  /** Requests a second this listener receives (default: the load balancer's for its first listener, 0 for the others). */
  requestsPerSecond?: number | undefined;
  /** The default rule's forward action; absent: a fixed response 404. */
  defaultForward?: ForwardSetup | undefined;
  rules?: ListenerRuleSetup[] | undefined;
}

export interface LoadBalancerSetup {
  name: string;
  /** The offered load of its first listener, requests a second (default `ELBV2_DEFAULTS.requestsPerLoadBalancerPerSecond`, 100). */
  requestsPerSecond?: number | undefined;
  listeners?: ListenerSetup[] | undefined;
}

// ── Validated actions ────────────────────────────────────────────────────────────────────────────

export interface ForwardAction<G> {
  type: 'forward';
  order: number;
  targetGroups: Array<{ group: G; arn: string; weight: number }>;
  stickiness: { Enabled: boolean; DurationSeconds?: number };
}

export interface FixedResponseAction {
  type: 'fixed-response';
  order: number;
  config: { StatusCode: string; ContentType?: string; MessageBody?: string };
}

export type RuleAction<G> = ForwardAction<G> | FixedResponseAction;

export const LISTENER_RULE_LIMITS = Object.freeze({
  targetGroupsPerAction: 5,
  maxWeight: 999,
  maxPriority: 50000,
  maxStickinessSeconds: 604800,
});

const ACTION_TYPES = ['forward', 'authenticate-oidc', 'authenticate-cognito', 'redirect', 'fixed-response'] as const;
const TARGET_GROUP_ARN = /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{16}$/;

/** How the validation finds a target group and tells whose load balancer it is on. */
export interface TargetGroupResolver<G> {
  byArn(arn: string): G | undefined;
  loadBalancerOf(group: G): string;
}

/**
 * A rule's `Actions` checked as ELBv2 checks them, for a rule of load balancer `loadBalancer`
 * (`member` is the request's name for the list: `actions`, or `defaultActions`).
 */
export function validateActions<G>(actions: unknown, loadBalancer: string, groups: TargetGroupResolver<G>, member = 'actions'): RuleAction<G> {
  if (actions === undefined || actions === null) throw constraintError(undefined, member, 'Member must not be null');
  if (!Array.isArray(actions)) throw validationError(`${member}: expected a list of actions`);
  if (actions.length === 0) throw constraintError('[]', member, 'Member must have length greater than or equal to 1');
  if (actions.length > 1) {
    throw new Elbv2Error('InvalidLoadBalancerActionException', 'InvalidLoadBalancerAction', `The simulated load balancer takes one action per rule (forward or fixed-response); ${member} has ${actions.length}`);
  }
  const at = `${member}.1.member`;
  const action = (actions[0] ?? {}) as RuleActionInput;
  if (action.Type === undefined || action.Type === null) throw constraintError(undefined, `${at}.type`, 'Member must not be null');
  if (!(ACTION_TYPES as readonly string[]).includes(action.Type)) throw constraintError(action.Type, `${at}.type`, `Member must satisfy enum value set: [${ACTION_TYPES.join(', ')}]`);
  const order = action.Order ?? 1;
  if (!Number.isInteger(order) || order < 1 || order > 50000) throw constraintError(order, `${at}.order`, 'Member must have value between 1 and 50000');
  if (action.Type === 'fixed-response') {
    const config = action.FixedResponseConfig;
    if (!config || config.StatusCode === undefined) throw constraintError(undefined, `${at}.fixedResponseConfig.statusCode`, 'Member must not be null');
    if (!/^(2|4|5)\d\d$/.test(String(config.StatusCode))) throw constraintError(config.StatusCode, `${at}.fixedResponseConfig.statusCode`, 'Member must satisfy regular expression pattern: ^(2|4|5)\\d\\d$');
    return {
      type: 'fixed-response',
      order,
      config: { StatusCode: String(config.StatusCode), ...(config.ContentType !== undefined ? { ContentType: config.ContentType } : {}), ...(config.MessageBody !== undefined ? { MessageBody: config.MessageBody } : {}) },
    };
  }
  if (action.Type !== 'forward') {
    throw new Elbv2Error('InvalidLoadBalancerActionException', 'InvalidLoadBalancerAction', `The simulated load balancer does not simulate ${action.Type} actions (only forward and fixed-response)`);
  }
  const tuples = action.ForwardConfig?.TargetGroups;
  const single = action.TargetGroupArn;
  if ((tuples === undefined || tuples.length === 0) && single === undefined) {
    throw constraintError(undefined, `${at}.forwardConfig.targetGroups`, 'Member must not be null (a forward action needs TargetGroupArn or ForwardConfig.TargetGroups)');
  }
  if (tuples !== undefined && !Array.isArray(tuples)) throw validationError(`${at}.forwardConfig.targetGroups: expected a list of target groups`);
  if (tuples !== undefined && tuples.length > LISTENER_RULE_LIMITS.targetGroupsPerAction) {
    throw constraintError(`[${tuples.length} target groups]`, `${at}.forwardConfig.targetGroups`, `Member must have length less than or equal to ${LISTENER_RULE_LIMITS.targetGroupsPerAction}`);
  }
  const listed: TargetGroupTuple[] = tuples !== undefined && tuples.length > 0 ? tuples : [{ TargetGroupArn: single, Weight: 1 }];
  if (single !== undefined && tuples !== undefined && tuples.length > 0 && (tuples.length !== 1 || tuples[0]?.TargetGroupArn !== single)) {
    throw validationError(`${at}: TargetGroupArn and ForwardConfig.TargetGroups given together must name the same one target group`);
  }
  const seen = new Set<string>();
  const targetGroups = listed.map((tuple, index) => {
    const tupleAt = tuples !== undefined && tuples.length > 0 ? `${at}.forwardConfig.targetGroups.${index + 1}.member` : at;
    const arn = tuple?.TargetGroupArn;
    if (arn === undefined || arn === null) throw constraintError(undefined, `${tupleAt}.targetGroupArn`, 'Member must not be null');
    const weight = tuple.Weight ?? 1;
    if (!Number.isInteger(weight)) throw constraintError(weight, `${tupleAt}.weight`, 'Member must be an integer');
    if (weight < 0) throw constraintError(weight, `${tupleAt}.weight`, 'Member must have value greater than or equal to 0');
    if (weight > LISTENER_RULE_LIMITS.maxWeight) throw constraintError(weight, `${tupleAt}.weight`, `Member must have value less than or equal to ${LISTENER_RULE_LIMITS.maxWeight}`);
    if (!TARGET_GROUP_ARN.test(arn)) throw validationError(`'${arn}' is not a valid target group ARN`);
    if (seen.has(arn)) throw validationError(`Target group '${arn}' is named more than once in ${at}.forwardConfig.targetGroups`);
    seen.add(arn);
    return { arn, weight };
  });
  const resolved = targetGroups.map(({ arn, weight }) => {
    const group = groups.byArn(arn);
    if (group === undefined) throw new Elbv2Error('TargetGroupNotFoundException', 'TargetGroupNotFound', `Target groups '${arn}' not found`);
    return { group, arn, weight };
  });
  for (const { group } of resolved) {
    if (groups.loadBalancerOf(group) !== loadBalancer) {
      throw new Elbv2Error('TargetGroupAssociationLimitException', 'TargetGroupAssociationLimit', "You've reached the limit on the number of load balancers per target group.");
    }
  }
  const sticky = action.ForwardConfig?.TargetGroupStickinessConfig;
  const stickiness: ForwardAction<G>['stickiness'] = { Enabled: sticky?.Enabled === true };
  if (sticky?.Enabled !== undefined && typeof sticky.Enabled !== 'boolean') throw constraintError(sticky.Enabled, `${at}.forwardConfig.targetGroupStickinessConfig.enabled`, 'Member must be a boolean');
  if (sticky?.DurationSeconds !== undefined) {
    const duration = sticky.DurationSeconds;
    if (!Number.isInteger(duration) || duration < 1 || duration > LISTENER_RULE_LIMITS.maxStickinessSeconds) {
      throw constraintError(duration, `${at}.forwardConfig.targetGroupStickinessConfig.durationSeconds`, `Member must have value between 1 and ${LISTENER_RULE_LIMITS.maxStickinessSeconds}`);
    }
    stickiness.DurationSeconds = duration;
  }
  return { type: 'forward', order, targetGroups: resolved, stickiness };
}

/** An action as DescribeRules answers it: a forward to one target group also carries `TargetGroupArn`, as ELBv2's answer does. */
export function describeAction<G>(action: RuleAction<G>): RuleActionDescription {
  if (action.type === 'fixed-response') return { Type: 'fixed-response', Order: action.order, FixedResponseConfig: { ...action.config } };
  return {
    Type: 'forward',
    Order: action.order,
    ...(action.targetGroups.length === 1 ? { TargetGroupArn: action.targetGroups[0]!.arn } : {}),
    ForwardConfig: {
      TargetGroups: action.targetGroups.map(({ arn, weight }) => ({ TargetGroupArn: arn, Weight: weight })),
      TargetGroupStickinessConfig: { ...action.stickiness },
    },
  };
}
