/**
 * Simulated Amazon Route 53: hosted zones with weighted records (A alias records naming a load
 * balancer, or CNAME records), their changes going `PENDING` → `INSYNC`, the API shapes and errors
 * of ChangeResourceRecordSets, GetChange and ListResourceRecordSets, request throttling, and the
 * traffic of each record's clients split between its targets by the weights resolvers see.
 *
 * ```ts
 * const r53 = new SimulatedRoute53({ clock, traffic: elbv2 });            // traffic: LoadBalancerTraffic
 * const zone = r53.createHostedZone({ name: 'example.internal' });        // → { Id: '/hostedzone/Z…', Name: 'example.internal.' }
 * const { ChangeInfo } = await r53.changeResourceRecordSets({ HostedZoneId: zone.Id, ChangeBatch: { Changes: [
 *   { Action: 'UPSERT', ResourceRecordSet: { Name: 'web.example.internal', Type: 'A', SetIdentifier: 'green', Weight: 25, AliasTarget: { … } } },
 * ] } });                                                                 // ChangeInfo.Status: 'PENDING'
 * clock.advance(60_000);
 * (await r53.getChange({ Id: ChangeInfo.Id })).ChangeInfo.Status          // → 'INSYNC'
 * ```
 *
 * What is enforced, and where it comes from:
 * - ChangeResourceRecordSets (Route 53 API Reference; "Quotas" in the Developer Guide): a batch is
 *   transactional — every change is checked against the zone as the previous changes of the same
 *   batch left it, and one error changes nothing. CREATE of a record set that exists, DELETE of one
 *   that does not, or whose values differ from the current ones, a name outside the zone, a CNAME
 *   beside other records of its name, a weighted and a non-weighted record set of the same name and
 *   type: `InvalidChangeBatch`, with every problem in `messages` (the service's wording:
 *   `Tried to create resource record set [name='web.example.internal.', type='A',
 *   set-identifier='blue'] but it already exists`). At most 1,000 ResourceRecord elements and
 *   32,000 characters of `Value` per batch, each counted twice for an UPSERT ("Quotas on
 *   ChangeResourceRecordSets requests"): `InvalidChangeBatch` (`Number of records limit of 1000
 *   exceeded.`; the characters' wording is ours). Shape errors are `InvalidInput` in the AWS
 *   protocols' wording, naming the member (`1 validation error detected: Value '256' at
 *   'changeBatch.changes.1.member.resourceRecordSet.weight' failed to satisfy constraint: Member must
 *   have value less than or equal to 255`): Action CREATE | DELETE | UPSERT, Weight 0–255,
 *   SetIdentifier 1–128 characters, TTL 0–2147483647, Name 1–1024, at least one change; exactly one
 *   of AliasTarget or TTL + ResourceRecords; SetIdentifier and Weight together. An unknown zone is
 *   `NoSuchHostedZone` (`No hosted zone found with ID: Z…`).
 * - Alias targets: with a load balancer directory (`loadBalancers`), an alias must name a load
 *   balancer's DNS name (optionally `dualstack.`-prefixed) with that load balancer's canonical
 *   hosted zone id, else `InvalidChangeBatch` (`Tried to create an alias that targets …, type A in
 *   zone …, but the alias target name does not lie within the target zone`). Without one, any
 *   alias target is accepted.
 * - Changes (GetChange): each batch is a change `/change/C…`, `PENDING` for
 *   `changePropagationSeconds` of simulated time (default 60; the real service usually takes under
 *   60 s) and `INSYNC` from then on, exactly. An unknown id is `NoSuchChange`. Ids are accepted with
 *   or without the `/change/` and `/hostedzone/` prefixes (the SDK strips them before sending).
 * - ListResourceRecordSets: every zone has its SOA and NS record sets at the apex, as a created
 *   zone does. Records are sorted by name with the labels reversed (`internal.example.web.`), then
 *   by type, then by set identifier; `StartRecordName` (from the first name ≥ it),
 *   `StartRecordType` (only with a name: `InvalidInput` otherwise), `StartRecordIdentifier`;
 *   `MaxItems` up to 300 (a larger value lists 300, as the service does; below 1 is `InvalidInput`),
 *   `IsTruncated` and the `NextRecord*` of the first record not listed.
 * - Request throttling ("Quotas": "five requests per second per AWS account"): one token bucket of
 *   5, refilling 5 a second, shared by every action; a request without a token is refused with the
 *   `Throttling` code ("Rate exceeded", HTTP 400), which the AWS SDK v3 reports as an error named
 *   `Throttling` (Route 53 models no throttling exception for these actions) and retries as a
 *   throttle. The newer throttling page ("Throttling for Amazon Route 53 API requests") raises this
 *   to a bucket of 50 refilling 10 a second per account and per action, plus a change-throughput
 *   bucket; the older, stricter figure is kept by default (an engine that stays under it stays
 *   under both), and `rateLimits` takes others.
 * - Not simulated: `PriorRequestNotComplete` (a batch for a zone arriving while the service is still
 *   *processing* — not propagating — the previous one: processing is instantaneous here), health
 *   checks, routing policies other than weighted and simple, other record types' values, and
 *   escaping of special characters in names.
 *
 * Traffic: each record name has clients offering `requestsPerSecond` (default 100, `setOfferedLoad`).
 * Resolvers see a zone as it was when its latest `INSYNC` change was submitted (until a change is
 * INSYNC, they still see the old weights). A weighted group splits the load between its records'
 * targets in proportion to their weights; when every weight is 0, equally ("If you set Weight to 0
 * for all of the records in the group, traffic is routed to all resources with equal probability",
 * "Values specific for weighted records"). A simple record sends all of it to its target. A target
 * is the load balancer an alias names (its name when the directory knows the DNS name, else the DNS
 * name without the trailing dot) or a CNAME's value. Whenever the split changes, `traffic` is told
 * each target's new load (0 for a target that lost all of it); several records on one target add up.
 *
 * Wiring: `kernel.ts` builds it from the world description's `hostedZones` and `route53`
 * (`local/cluster.yml`); the local stack serves `GET /_sim/hosted-zones/:zone/records` for
 * `blox sim list-records`, and the engine's WeightedRecords port (`functions/adapters/route53-records.ts`)
 * runs over this class as over the SDK's client.
 */
import type { ScheduledTimer, SimScheduler } from './clock';
import { SimulatedAwsError } from './errors';
import type { TokenBucketLimit } from './rate-buckets';
import { TokenBuckets } from './rate-buckets';
import { hexId, uuidLike } from './random';

// ── The service's figures ────────────────────────────────────────────────────────────────────────

export const ROUTE53_DEFAULTS = Object.freeze({
  /** How long a change stays PENDING (the simulation's choice; the service says "usually within 60 seconds"). */
  changePropagationSeconds: 60,
  /** Not Route 53's: the requests a second the clients of a record name send (`setOfferedLoad`). */
  requestsPerSecond: 100,
});

export const ROUTE53_LIMITS = Object.freeze({
  resourceRecordsPerBatch: 1000,
  valueCharactersPerBatch: 32_000,
  maxItems: 300,
  maxWeight: 255,
  setIdentifierLength: 128,
  nameLength: 1024,
  maxTtl: 2_147_483_647,
});

export type Route53RateBucket = 'account';

/** "Five requests per second per AWS account" (the older, stricter figure; see the header). */
export const ROUTE53_RATE_LIMITS: Readonly<Record<Route53RateBucket, Readonly<TokenBucketLimit>>> = Object.freeze({
  account: Object.freeze({ capacity: 5, refillPerSecond: 5 }),
});

// ── Shapes (the API's, PascalCase) ───────────────────────────────────────────────────────────────

export interface AliasTarget {
  HostedZoneId: string;
  DNSName: string;
  EvaluateTargetHealth: boolean;
}

export interface ResourceRecordSet {
  Name: string;
  Type: string;
  SetIdentifier?: string;
  Weight?: number;
  TTL?: number;
  ResourceRecords?: Array<{ Value: string }>;
  AliasTarget?: AliasTarget;
}

/** What a request may carry (the SDK's input shapes: every member optional on the wire). */
export interface ResourceRecordSetInput {
  Name?: string | undefined;
  Type?: string | undefined;
  SetIdentifier?: string | undefined;
  Weight?: number | undefined;
  TTL?: number | undefined;
  ResourceRecords?: Array<{ Value?: string | undefined }> | undefined;
  AliasTarget?: { HostedZoneId?: string | undefined; DNSName?: string | undefined; EvaluateTargetHealth?: boolean | undefined } | undefined;
}

export interface ChangeInput {
  Action?: string | undefined;
  ResourceRecordSet?: ResourceRecordSetInput | undefined;
}

export interface ChangeResourceRecordSetsInput {
  HostedZoneId?: string | undefined;
  ChangeBatch?: { Comment?: string | undefined; Changes?: ChangeInput[] | undefined } | undefined;
}

export type ChangeStatus = 'PENDING' | 'INSYNC';

export interface ChangeInfo {
  Id: string;
  Status: ChangeStatus;
  SubmittedAt: Date;
  Comment?: string;
}

export interface ListResourceRecordSetsInput {
  HostedZoneId?: string | undefined;
  StartRecordName?: string | undefined;
  StartRecordType?: string | undefined;
  StartRecordIdentifier?: string | undefined;
  MaxItems?: number | undefined;
}

export interface ListResourceRecordSetsOutput {
  ResourceRecordSets: ResourceRecordSet[];
  IsTruncated: boolean;
  NextRecordName?: string;
  NextRecordType?: string;
  NextRecordIdentifier?: string;
  MaxItems: number;
}

export interface HostedZone {
  Id: string;
  Name: string;
  CallerReference: string;
  Config: { PrivateZone: boolean };
  ResourceRecordSetCount: number;
}

// ── What Route 53 talks to ───────────────────────────────────────────────────────────────────────

/** Where the clients of the records send their requests: the simulated load balancers (ELBv2). */
export interface LoadBalancerTraffic {
  /** The requests a second now offered to a load balancer (its name, or its DNS name when the directory does not know it) through DNS. */
  setOfferedLoad(loadBalancerDnsNameOrName: string, requestsPerSecond: number): void;
}

/** The load balancers an alias can name (the simulated ELBv2's DescribeLoadBalancers). */
export interface LoadBalancerDirectory {
  /** The alias target of a load balancer by name (`DNSName`, `HostedZoneId` = its canonical hosted zone id). */
  aliasOf(name: string): { DNSName: string; HostedZoneId: string } | undefined;
  /** The name of the load balancer with this DNS name (lower case, no trailing dot, no `dualstack.`). */
  nameOf(dnsName: string): string | undefined;
}

// ── Errors ───────────────────────────────────────────────────────────────────────────────────────

/** A Route 53 error: `name` as the AWS SDK v3 names it (the wire code). `messages` for InvalidChangeBatch. */
export class Route53Error extends SimulatedAwsError {
  readonly Code: string;
  readonly messages?: string[];
  constructor(name: string, message: string, options: { throttling?: boolean; requestId?: string; messages?: string[]; httpStatusCode?: number } = {}) {
    super(name, message, {
      httpStatusCode: options.httpStatusCode ?? 400,
      ...(options.throttling ? { retryable: { throttling: true } } : {}),
      ...(options.requestId !== undefined ? { requestId: options.requestId } : {}),
    });
    this.Code = name;
    if (options.messages) this.messages = options.messages;
  }
}

function invalidInput(message: string): Route53Error {
  return new Route53Error('InvalidInput', message);
}

function constraint(value: unknown, member: string, rule: string): Route53Error {
  const shown = value === undefined || value === null ? 'null' : `'${Array.isArray(value) ? `[${value.join(', ')}]` : String(value)}'`;
  return invalidInput(`1 validation error detected: Value ${shown} at '${member}' failed to satisfy constraint: ${rule}`);
}

function invalidChangeBatch(messages: string[]): Route53Error {
  return new Route53Error('InvalidChangeBatch', `[${messages.join(', ')}]`, { messages });
}

// ── Names ────────────────────────────────────────────────────────────────────────────────────────

/** Lower case with the trailing dot, as Route 53 answers names. */
export function fqdn(name: string): string {
  const lower = name.trim().toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}

/** A DNS name as a target: lower case, no trailing dot, no `dualstack.` prefix. */
export function targetName(dnsName: string): string {
  return fqdn(dnsName).slice(0, -1).replace(/^dualstack\./, '');
}

/** The labels reversed (`internal.example.web.`): Route 53's listing order. */
function reversedName(name: string): string {
  return `${name.slice(0, -1).split('.').reverse().join('.')}.`;
}

function stripPrefix(id: string, prefix: string): string {
  return id.startsWith(prefix) ? id.slice(prefix.length) : id;
}

const RECORD_TYPES = ['A', 'AAAA', 'CAA', 'CNAME', 'DS', 'HTTPS', 'MX', 'NAPTR', 'NS', 'PTR', 'SOA', 'SPF', 'SRV', 'SSHFP', 'SVCB', 'TLSA', 'TXT'] as const;

// ── State ────────────────────────────────────────────────────────────────────────────────────────

type RecordKey = string;
const keyOf = (name: string, type: string, setIdentifier: string | undefined): RecordKey => `${name}|${type}|${setIdentifier ?? ''}`;
const describe = (r: { Name: string; Type: string; SetIdentifier?: string | undefined }) =>
  `[name='${r.Name}', type='${r.Type}'${r.SetIdentifier !== undefined ? `, set-identifier='${r.SetIdentifier}'` : ''}]`;

interface ChangeState {
  id: string;
  zoneId: string;
  seq: number;
  submittedAt: number;
  insyncAt: number;
  comment?: string;
  /** The zone's records as this change left them (what resolvers see once it is INSYNC). */
  snapshot: Map<RecordKey, ResourceRecordSet>;
  timer?: ScheduledTimer;
}

interface ZoneState {
  zone: HostedZone;
  id: string;
  name: string;
  records: Map<RecordKey, ResourceRecordSet>;
  /** What resolvers see: the snapshot of the latest INSYNC change (by submission order). */
  resolved: Map<RecordKey, ResourceRecordSet>;
  resolvedSeq: number;
  /** The latest change that touched each record (for `blox sim list-records`). */
  lastChange: Map<RecordKey, string>;
}

export interface SimulatedRoute53Options {
  clock: SimScheduler;
  /** Where the clients' requests go (the simulated load balancers). Without one, the split is only computed (`offeredLoad`). */
  traffic?: LoadBalancerTraffic;
  /** The load balancers aliases may name; without one, any alias target is accepted. */
  loadBalancers?: LoadBalancerDirectory;
  /** How long a change stays PENDING, in seconds of simulated time (default 60). */
  changePropagationSeconds?: number;
  seed?: number;
  /** Route 53's request throttling: its documented bucket by default, `false` off, or other figures. */
  rateLimits?: false | Partial<Record<Route53RateBucket, TokenBucketLimit>>;
}

export interface CreateHostedZoneSetup {
  /** `example.internal` (the trailing dot optional). */
  name: string;
  /** A fixed id (`Z` and 1–31 capitals and digits); default: derived from the seed. */
  id?: string | undefined;
  privateZone?: boolean | undefined;
}

/** A record with the status of the latest change that touched it (`blox sim list-records`). */
export interface RecordView extends ResourceRecordSet {
  /** The target its traffic goes to (load balancer name or DNS name), if any. */
  Target?: string;
  ChangeId?: string;
  ChangeStatus?: ChangeStatus;
}

const ZONE_ID = /^Z[A-Z0-9]{1,31}$/;

export class SimulatedRoute53 {
  readonly seed: number;
  private readonly clock: SimScheduler;
  private readonly traffic: LoadBalancerTraffic | undefined;
  private readonly loadBalancers: LoadBalancerDirectory | undefined;
  private readonly buckets: TokenBuckets<Route53RateBucket> | undefined;
  private propagationMs: number;
  private readonly zones = new Map<string, ZoneState>();
  private readonly changes = new Map<string, ChangeState>();
  /** Offered load by record name (fqdn). */
  private readonly offered = new Map<string, number>();
  /** The last load told to `traffic`, by target. */
  private readonly sent = new Map<string, number>();
  private readonly counters = { zone: 0, change: 0, request: 0 };
  private readonly changeListeners = new Set<() => void>();

  constructor(options: SimulatedRoute53Options) {
    this.clock = options.clock;
    this.traffic = options.traffic;
    this.loadBalancers = options.loadBalancers;
    this.seed = options.seed ?? 1;
    this.propagationMs = SimulatedRoute53.propagationMs(options.changePropagationSeconds ?? ROUTE53_DEFAULTS.changePropagationSeconds);
    if (options.rateLimits !== false) this.buckets = new TokenBuckets({ ...ROUTE53_RATE_LIMITS, ...options.rateLimits }, this.clock);
  }

  private static propagationMs(seconds: number): number {
    if (!(Number.isFinite(seconds) && seconds >= 0)) throw new RangeError(`changePropagationSeconds must be a number >= 0, got ${seconds}`);
    return Math.round(seconds * 1000);
  }

  // ── Set-up (the world file; not an API call, not throttled) ────────────────────────────────────

  /** A hosted zone with its SOA and NS record sets. Its id is `/hostedzone/Z…`. */
  createHostedZone(setup: CreateHostedZoneSetup): HostedZone {
    const name = fqdn(setup.name);
    if (!/^([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)+$/.test(name) || name.length > 1024) throw invalidInput(`Invalid hosted zone name: ${setup.name}`);
    const n = this.counters.zone++;
    const id = setup.id ?? `Z${hexId(this.seed, 40, n, 20).toUpperCase()}`;
    if (!ZONE_ID.test(id)) throw invalidInput(`Invalid hosted zone id: ${id} (expected Z and 1-31 capital letters or digits)`);
    if (this.zones.has(id)) throw new Route53Error('HostedZoneAlreadyExists', `A hosted zone with id ${id} already exists.`);
    if ([...this.zones.values()].some((z) => z.name === name)) throw new Route53Error('HostedZoneAlreadyExists', `A hosted zone named ${name} already exists in the simulation.`);
    const records = new Map<RecordKey, ResourceRecordSet>();
    const ns = [1, 2, 3, 4].map((i) => ({ Value: `ns-${(n * 4 + i) % 2048}.awsdns-${String(i * 7 + n).padStart(2, '0')}.${['com', 'net', 'org', 'co.uk'][i - 1]}.` }));
    records.set(keyOf(name, 'NS', undefined), { Name: name, Type: 'NS', TTL: 172800, ResourceRecords: ns });
    records.set(keyOf(name, 'SOA', undefined), { Name: name, Type: 'SOA', TTL: 900, ResourceRecords: [{ Value: `${ns[0]!.Value} awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400` }] });
    const zone: HostedZone = { Id: `/hostedzone/${id}`, Name: name, CallerReference: uuidLike(this.seed, 41, n), Config: { PrivateZone: setup.privateZone ?? true }, ResourceRecordSetCount: 2 };
    this.zones.set(id, { zone, id, name, records, resolved: new Map(records), resolvedSeq: -1, lastChange: new Map() });
    return structuredClone(zone);
  }

  /** The zone by name (`example.internal`, trailing dot optional) or id (with or without `/hostedzone/`). */
  hostedZone(nameOrId: string): HostedZone | undefined {
    const state = this.zoneByNameOrId(nameOrId);
    return state ? { ...structuredClone(state.zone), ResourceRecordSetCount: state.records.size } : undefined;
  }

  listHostedZones(): HostedZone[] {
    return [...this.zones.values()].map((z) => ({ ...structuredClone(z.zone), ResourceRecordSetCount: z.records.size }));
  }

  /**
   * Records as the world file describes them: written at once and already INSYNC (resolvers see
   * them), without a change to wait for. Follows the same validation as ChangeResourceRecordSets.
   */
  seedRecords(zoneNameOrId: string, records: ResourceRecordSetInput[]): void {
    const zone = this.zoneByNameOrId(zoneNameOrId);
    if (!zone) throw new Route53Error('NoSuchHostedZone', `No hosted zone found with name or ID: ${zoneNameOrId}`);
    const next = this.validatedBatch(zone, records.map((ResourceRecordSet) => ({ Action: 'CREATE', ResourceRecordSet })));
    zone.records = next;
    zone.resolved = new Map(next);
    this.updateTraffic();
  }

  /** The A alias target of a load balancer by name (the directory's; undefined without one). */
  aliasTargetOf(loadBalancerName: string): AliasTarget | undefined {
    const alias = this.loadBalancers?.aliasOf(loadBalancerName);
    return alias ? { ...alias, EvaluateTargetHealth: false } : undefined;
  }

  /** Sets how many requests a second the clients of a record name send (default 100). */
  setOfferedLoad(recordName: string, requestsPerSecond: number): void {
    if (!(Number.isFinite(requestsPerSecond) && requestsPerSecond >= 0)) throw new RangeError(`requestsPerSecond must be a number >= 0, got ${requestsPerSecond}`);
    this.offered.set(fqdn(recordName), requestsPerSecond);
    this.updateTraffic();
  }

  /** How long changes submitted from now on stay PENDING. */
  setChangePropagationSeconds(seconds: number): void {
    this.propagationMs = SimulatedRoute53.propagationMs(seconds);
  }

  get changePropagationSeconds(): number {
    return this.propagationMs / 1000;
  }

  /** The requests a second each target gets now, as resolvers see the zones (targets with none left out). */
  offeredLoad(): Record<string, number> {
    return Object.fromEntries([...this.computeLoads()].filter(([, load]) => load > 0));
  }

  /** A zone's records with their target and the status of the latest change that touched them (`blox sim list-records`). */
  describeRecords(zoneNameOrId: string): RecordView[] {
    const zone = this.zoneByNameOrId(zoneNameOrId);
    if (!zone) throw new Route53Error('NoSuchHostedZone', `No hosted zone found with name or ID: ${zoneNameOrId}`);
    return this.sorted(zone.records).map((record) => {
      const key = keyOf(record.Name, record.Type, record.SetIdentifier);
      const changeId = zone.lastChange.get(key);
      const change = changeId !== undefined ? this.changes.get(changeId) : undefined;
      const target = this.targetOf(record);
      return {
        ...structuredClone(record),
        ...(target !== undefined ? { Target: target } : {}),
        ...(change ? { ChangeId: `/change/${change.id}`, ChangeStatus: this.statusOf(change) } : {}),
      };
    });
  }

  /** `listener()` after every accepted ChangeResourceRecordSets (the local stack saves the records). Returns the unsubscribe function. */
  onRecordsChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** The tokens left in the throttling bucket (undefined when throttling is off). */
  rateTokens(bucket: Route53RateBucket = 'account'): number | undefined {
    return this.buckets?.tokens(bucket);
  }

  // ── The API ────────────────────────────────────────────────────────────────────────────────────

  async changeResourceRecordSets(input: ChangeResourceRecordSetsInput): Promise<{ ChangeInfo: ChangeInfo }> {
    await Promise.resolve();
    this.charge();
    const zone = this.requireZone(input.HostedZoneId, 'hostedZoneId');
    const changes = input.ChangeBatch?.Changes;
    if (!input.ChangeBatch) throw constraint(undefined, 'changeBatch', 'Member must not be null');
    if (!changes || changes.length === 0) throw constraint(changes ?? undefined, 'changeBatch.changes', 'Member must have length greater than or equal to 1');
    const next = this.validatedBatch(zone, changes);
    const n = ++this.counters.change;
    const id = `C${hexId(this.seed, 42, n, 20).toUpperCase()}`;
    const now = this.clock.now();
    const comment = input.ChangeBatch.Comment;
    const change: ChangeState = { id, zoneId: zone.id, seq: n, submittedAt: now, insyncAt: now + this.propagationMs, snapshot: new Map(next), ...(comment !== undefined ? { comment } : {}) };
    zone.records = next;
    for (const c of changes) {
      const r = c.ResourceRecordSet!;
      zone.lastChange.set(keyOf(fqdn(r.Name!), r.Type!, r.SetIdentifier), id);
    }
    this.changes.set(id, change);
    change.timer = this.clock.schedule(change.insyncAt, () => this.insync(change));
    for (const listener of this.changeListeners) listener();
    return { ChangeInfo: this.changeInfo(change) };
  }

  async getChange(input: { Id?: string | undefined }): Promise<{ ChangeInfo: ChangeInfo }> {
    await Promise.resolve();
    this.charge();
    if (input.Id === undefined || input.Id === '') throw constraint(input.Id, 'id', 'Member must not be null');
    const id = stripPrefix(input.Id, '/change/');
    if (id.length > 32) throw constraint(input.Id, 'id', 'Member must have length less than or equal to 32');
    const change = this.changes.get(id);
    if (!change) throw new Route53Error('NoSuchChange', `A change with the specified change ID does not exist. (${id})`);
    return { ChangeInfo: this.changeInfo(change) };
  }

  async listResourceRecordSets(input: ListResourceRecordSetsInput): Promise<ListResourceRecordSetsOutput> {
    await Promise.resolve();
    this.charge();
    const zone = this.requireZone(input.HostedZoneId, 'hostedZoneId');
    if (input.StartRecordType !== undefined && input.StartRecordName === undefined) throw invalidInput('The input is not valid: StartRecordType requires StartRecordName');
    if (input.StartRecordIdentifier !== undefined && input.StartRecordType === undefined) throw invalidInput('The input is not valid: StartRecordIdentifier requires StartRecordName and StartRecordType');
    if (input.StartRecordType !== undefined && !(RECORD_TYPES as readonly string[]).includes(input.StartRecordType)) {
      throw constraint(input.StartRecordType, 'type', `Member must satisfy enum value set: [${RECORD_TYPES.join(', ')}]`);
    }
    if (input.MaxItems !== undefined && !(Number.isInteger(input.MaxItems) && input.MaxItems >= 1)) throw invalidInput(`Invalid value for MaxItems: ${input.MaxItems} (expected a whole number >= 1)`);
    const maxItems = Math.min(input.MaxItems ?? ROUTE53_LIMITS.maxItems, ROUTE53_LIMITS.maxItems);
    const all = this.sorted(zone.records);
    let start = 0;
    if (input.StartRecordName !== undefined) {
      const from = [reversedName(fqdn(input.StartRecordName)), input.StartRecordType ?? '', input.StartRecordIdentifier ?? ''] as const;
      start = all.findIndex((r) => compareTuples(sortKey(r), from) >= 0);
      if (start < 0) start = all.length;
    }
    const page = all.slice(start, start + maxItems);
    const next = all[start + maxItems];
    return {
      ResourceRecordSets: structuredClone(page),
      IsTruncated: next !== undefined,
      ...(next ? { NextRecordName: next.Name, NextRecordType: next.Type, ...(next.SetIdentifier !== undefined ? { NextRecordIdentifier: next.SetIdentifier } : {}) } : {}),
      MaxItems: maxItems,
    };
  }

  /** Stops the pending changes' timers (they stay PENDING). */
  close(): void {
    for (const change of this.changes.values()) change.timer?.cancel();
  }

  // ── Internals ──────────────────────────────────────────────────────────────────────────────────

  private charge(): void {
    if (this.buckets && !this.buckets.take(['account'])) {
      throw new Route53Error('Throttling', 'Rate exceeded', { throttling: true, requestId: uuidLike(this.seed, 43, ++this.counters.request) });
    }
  }

  private zoneByNameOrId(nameOrId: string): ZoneState | undefined {
    const id = stripPrefix(nameOrId, '/hostedzone/');
    return this.zones.get(id) ?? [...this.zones.values()].find((z) => z.name === fqdn(nameOrId));
  }

  private requireZone(hostedZoneId: string | undefined, member: string): ZoneState {
    if (hostedZoneId === undefined || hostedZoneId === '') throw constraint(hostedZoneId, member, 'Member must not be null');
    const id = stripPrefix(hostedZoneId, '/hostedzone/');
    if (id.length > 32) throw constraint(hostedZoneId, member, 'Member must have length less than or equal to 32');
    const zone = this.zones.get(id);
    if (!zone) throw new Route53Error('NoSuchHostedZone', `No hosted zone found with ID: ${id}`);
    return zone;
  }

  private statusOf(change: ChangeState): ChangeStatus {
    return this.clock.now() >= change.insyncAt ? 'INSYNC' : 'PENDING';
  }

  private changeInfo(change: ChangeState): ChangeInfo {
    return { Id: `/change/${change.id}`, Status: this.statusOf(change), SubmittedAt: new Date(change.submittedAt), ...(change.comment !== undefined ? { Comment: change.comment } : {}) };
  }

  private insync(change: ChangeState): void {
    const zone = this.zones.get(change.zoneId);
    if (!zone || change.seq < zone.resolvedSeq) return;
    zone.resolved = change.snapshot;
    zone.resolvedSeq = change.seq;
    this.updateTraffic();
  }

  private sorted(records: Map<RecordKey, ResourceRecordSet>): ResourceRecordSet[] {
    return [...records.values()].sort((a, b) => compareTuples(sortKey(a), sortKey(b)));
  }

  /** Checks a batch against the zone, change after change; the records as the batch leaves them, or the batch's errors. */
  private validatedBatch(zone: ZoneState, changes: ChangeInput[]): Map<RecordKey, ResourceRecordSet> {
    let resourceRecords = 0;
    let characters = 0;
    const records = new Map(zone.records);
    const problems: string[] = [];
    changes.forEach((change, index) => {
      const member = `changeBatch.changes.${index + 1}.member`;
      const action = change.Action;
      if (action !== 'CREATE' && action !== 'DELETE' && action !== 'UPSERT') throw constraint(action, `${member}.action`, 'Member must satisfy enum value set: [CREATE, DELETE, UPSERT]');
      const record = this.validatedRecord(change.ResourceRecordSet, `${member}.resourceRecordSet`, action);
      const times = action === 'UPSERT' ? 2 : 1;
      resourceRecords += (record.ResourceRecords?.length ?? 0) * times;
      characters += (record.ResourceRecords ?? []).reduce((sum, r) => sum + r.Value.length, 0) * times;

      if (record.Name !== zone.name && !record.Name.endsWith(`.${zone.name}`)) {
        problems.push(`RRSet with DNS name ${record.Name} is not permitted in zone ${zone.name}`);
        return;
      }
      const key = keyOf(record.Name, record.Type, record.SetIdentifier);
      const existing = records.get(key);
      if (action === 'DELETE') {
        if (!existing) problems.push(`Tried to delete resource record set ${describe(record)} but it was not found`);
        else if (!sameValues(existing, record)) problems.push(`Tried to delete resource record set ${describe(record)} but the values provided do not match the current values`);
        else records.delete(key);
        return;
      }
      if (action === 'CREATE' && existing) {
        problems.push(`Tried to create resource record set ${describe(record)} but it already exists`);
        return;
      }
      const sameName = [...records.values()].filter((r) => r.Name === record.Name && keyOf(r.Name, r.Type, r.SetIdentifier) !== key);
      if (record.Type === 'CNAME' ? sameName.some((r) => r.Type !== 'CNAME') : sameName.some((r) => r.Type === 'CNAME')) {
        problems.push(`RRSet of type CNAME with DNS name ${record.Name} is not permitted as it conflicts with other records with the same DNS name in zone ${zone.name}`);
        return;
      }
      const sameType = sameName.filter((r) => r.Type === record.Type);
      if (sameType.some((r) => (r.SetIdentifier === undefined) !== (record.SetIdentifier === undefined))) {
        problems.push(
          `RRSet with DNS name ${record.Name}, type ${record.Type}${record.SetIdentifier !== undefined ? `, SetIdentifier ${record.SetIdentifier}` : ''} cannot be created because a ${record.SetIdentifier !== undefined ? 'non-weighted' : 'weighted'} set exists with the same name and type`,
        );
        return;
      }
      if (record.AliasTarget && this.loadBalancers) {
        const name = this.loadBalancers.nameOf(targetName(record.AliasTarget.DNSName));
        const alias = name !== undefined ? this.loadBalancers.aliasOf(name) : undefined;
        if (!alias || stripPrefix(alias.HostedZoneId, '/hostedzone/') !== stripPrefix(record.AliasTarget.HostedZoneId, '/hostedzone/')) {
          problems.push(`Tried to create an alias that targets ${fqdn(record.AliasTarget.DNSName)}, type ${record.Type} in zone ${record.AliasTarget.HostedZoneId}, but the alias target name does not lie within the target zone`);
          return;
        }
      }
      records.set(key, record);
    });
    if (resourceRecords > ROUTE53_LIMITS.resourceRecordsPerBatch) problems.unshift(`Number of records limit of ${ROUTE53_LIMITS.resourceRecordsPerBatch} exceeded.`);
    if (characters > ROUTE53_LIMITS.valueCharactersPerBatch) problems.unshift(`Number of characters in Value elements limit of ${ROUTE53_LIMITS.valueCharactersPerBatch} exceeded.`);
    if (problems.length > 0) throw invalidChangeBatch(problems);
    return records;
  }

  /** A record set of a change, its shape checked (InvalidInput naming the member), its name normalised. */
  private validatedRecord(input: ResourceRecordSetInput | undefined, member: string, action: string): ResourceRecordSet {
    if (!input) throw constraint(undefined, member, 'Member must not be null');
    const { Name, Type, SetIdentifier, Weight, TTL, ResourceRecords, AliasTarget } = input;
    if (Name === undefined || Name === '') throw constraint(Name, `${member}.name`, 'Member must not be null');
    if (Name.length > ROUTE53_LIMITS.nameLength) throw constraint(Name, `${member}.name`, `Member must have length less than or equal to ${ROUTE53_LIMITS.nameLength}`);
    if (Type === undefined || !(RECORD_TYPES as readonly string[]).includes(Type)) throw constraint(Type, `${member}.type`, `Member must satisfy enum value set: [${RECORD_TYPES.join(', ')}]`);
    if (SetIdentifier !== undefined && (SetIdentifier.length < 1 || SetIdentifier.length > ROUTE53_LIMITS.setIdentifierLength)) {
      throw constraint(SetIdentifier, `${member}.setIdentifier`, `Member must have length between 1 and ${ROUTE53_LIMITS.setIdentifierLength}`);
    }
    if (Weight !== undefined && !(Number.isInteger(Weight) && Weight >= 0)) throw constraint(Weight, `${member}.weight`, 'Member must have value greater than or equal to 0');
    if (Weight !== undefined && Weight > ROUTE53_LIMITS.maxWeight) throw constraint(Weight, `${member}.weight`, `Member must have value less than or equal to ${ROUTE53_LIMITS.maxWeight}`);
    if (TTL !== undefined && !(Number.isInteger(TTL) && TTL >= 0 && TTL <= ROUTE53_LIMITS.maxTtl)) throw constraint(TTL, `${member}.tTL`, `Member must have value between 0 and ${ROUTE53_LIMITS.maxTtl}`);
    const name = fqdn(Name);
    const shown = `[Action=${action}, Name=${name}, Type=${Type}, SetIdentifier=${SetIdentifier ?? 'null'}]`;
    if (Weight !== undefined && SetIdentifier === undefined) throw invalidInput(`Invalid request: Missing field 'SetIdentifier' in Change with ${shown}`);
    if (SetIdentifier !== undefined && Weight === undefined) {
      throw invalidInput(`Invalid request: Expected exactly one of [Weight, Region, Failover, GeoLocation, MultiValueAnswer, GeoProximityLocation, or CidrRoutingConfig], but found none in Change with ${shown}`);
    }
    const plain = TTL !== undefined || ResourceRecords !== undefined;
    if ((AliasTarget !== undefined) === plain || (plain && (TTL === undefined || ResourceRecords === undefined))) {
      const found = AliasTarget !== undefined && plain ? 'more than one' : 'none';
      throw invalidInput(`Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found ${found} in Change with ${shown}`);
    }
    const record: ResourceRecordSet = { Name: name, Type };
    if (SetIdentifier !== undefined) record.SetIdentifier = SetIdentifier;
    if (Weight !== undefined) record.Weight = Weight;
    if (AliasTarget) {
      const { HostedZoneId, DNSName, EvaluateTargetHealth } = AliasTarget;
      if (!HostedZoneId) throw constraint(HostedZoneId, `${member}.aliasTarget.hostedZoneId`, 'Member must not be null');
      if (!DNSName) throw constraint(DNSName, `${member}.aliasTarget.dNSName`, 'Member must not be null');
      if (EvaluateTargetHealth === undefined) throw constraint(EvaluateTargetHealth, `${member}.aliasTarget.evaluateTargetHealth`, 'Member must not be null');
      record.AliasTarget = { HostedZoneId, DNSName: fqdn(DNSName), EvaluateTargetHealth };
    } else {
      if (ResourceRecords!.length === 0) throw constraint([], `${member}.resourceRecords`, 'Member must have length greater than or equal to 1');
      record.TTL = TTL!;
      record.ResourceRecords = ResourceRecords!.map((r, i) => {
        if (r.Value === undefined || r.Value === '') throw constraint(r.Value, `${member}.resourceRecords.${i + 1}.member.value`, 'Member must not be null');
        if (r.Value.length > 4000) throw constraint(r.Value, `${member}.resourceRecords.${i + 1}.member.value`, 'Member must have length less than or equal to 4000');
        return { Value: r.Value };
      });
      if (Type === 'CNAME' && record.ResourceRecords.length > 1) throw invalidInput(`Invalid request: A CNAME record set can have only one value in Change with ${shown}`);
    }
    return record;
  }

  /** Where a record's clients go: the load balancer an alias names, or a CNAME's value. */
  private targetOf(record: ResourceRecordSet): string | undefined {
    if (record.AliasTarget) {
      const dns = targetName(record.AliasTarget.DNSName);
      return this.loadBalancers?.nameOf(dns) ?? dns;
    }
    if (record.Type === 'CNAME' && record.ResourceRecords?.[0]) return targetName(record.ResourceRecords[0].Value);
    return undefined;
  }

  /** Each target's load as the resolvers see the zones now. */
  private computeLoads(): Map<string, number> {
    const loads = new Map<string, number>();
    for (const zone of this.zones.values()) {
      const groups = new Map<string, ResourceRecordSet[]>();
      for (const record of zone.resolved.values()) {
        if (record.Type !== 'A' && record.Type !== 'AAAA' && record.Type !== 'CNAME') continue;
        const group = groups.get(record.Name) ?? [];
        group.push(record);
        groups.set(record.Name, group);
      }
      for (const [name, group] of groups) {
        const rps = this.offered.get(name) ?? ROUTE53_DEFAULTS.requestsPerSecond;
        const targets = group.map((r) => ({ target: this.targetOf(r), weight: r.SetIdentifier === undefined ? 1 : (r.Weight ?? 0) })).filter((t) => t.target !== undefined);
        if (targets.length === 0) continue;
        const total = targets.reduce((sum, t) => sum + t.weight, 0);
        for (const t of targets) {
          const share = total === 0 ? 1 / targets.length : t.weight / total;
          loads.set(t.target!, (loads.get(t.target!) ?? 0) + rps * share);
        }
      }
    }
    return loads;
  }

  private updateTraffic(): void {
    const loads = this.computeLoads();
    for (const target of this.sent.keys()) if (!loads.has(target)) loads.set(target, 0);
    for (const [target, load] of loads) {
      if (this.sent.get(target) === load) continue;
      this.sent.set(target, load);
      this.traffic?.setOfferedLoad(target, load);
    }
  }
}

function sortKey(r: ResourceRecordSet): readonly [string, string, string] {
  return [reversedName(r.Name), r.Type, r.SetIdentifier ?? ''];
}

function compareTuples(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < a.length; i++) {
    if (a[i]! < b[i]!) return -1;
    if (a[i]! > b[i]!) return 1;
  }
  return 0;
}

function sameValues(a: ResourceRecordSet, b: ResourceRecordSet): boolean {
  const norm = (r: ResourceRecordSet) =>
    JSON.stringify([r.Weight ?? null, r.TTL ?? null, r.ResourceRecords?.map((v) => v.Value) ?? null, r.AliasTarget ? [stripPrefix(r.AliasTarget.HostedZoneId, '/hostedzone/'), fqdn(r.AliasTarget.DNSName), r.AliasTarget.EvaluateTargetHealth] : null]);
  return norm(a) === norm(b);
}

/**
 * Stand-in load balancer directory until the simulated ELBv2 describes load balancers: every name
 * is a load balancer whose DNS name is `<name>.<region>.elb.amazonaws.com` (the real ones carry a
 * random suffix, `<name>-1234567890.<region>…`) in the canonical hosted zone of Application Load
 * Balancers in us-east-1 (`Z35SXDOTRQ7X7K`; other Regions have their own, not modelled).
 */
export function nameBasedLoadBalancers(region = 'us-east-1'): LoadBalancerDirectory {
  const suffix = `.${region}.elb.amazonaws.com`;
  return {
    aliasOf: (name) => ({ DNSName: `${name}${suffix}`, HostedZoneId: 'Z35SXDOTRQ7X7K' }),
    nameOf: (dnsName) => (dnsName.endsWith(suffix) && dnsName.length > suffix.length ? dnsName.slice(0, -suffix.length) : undefined),
  };
}
