/**
 * Simulated Route 53: changes PENDING → INSYNC on the virtual clock, weighted traffic split by the
 * weights resolvers see (a recording fake of the load balancers), the change batch's validation,
 * ListResourceRecordSets' paging and the account's request throttling. Expected values worked out
 * in the comments.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../local/sim/clock';
import { createSimulatedServices, DEFAULT_SIM_SERVICES, functionsOf, hostedZonesOf, parseSimServicesDescription } from '../../../local/sim/kernel';
import { SimulatedCluster } from '../../../local/sim/world';
import type { LoadBalancerDirectory, ResourceRecordSetInput } from '../../../local/sim/route53';
import { ROUTE53_DEFAULTS, SimulatedRoute53 } from '../../../local/sim/route53';
import { T0 } from './helpers';

const LB_ZONE = 'Z35SXDOTRQ7X7K';
const directory: LoadBalancerDirectory = {
  aliasOf: (name) => (['web-a', 'web-b'].includes(name) ? { DNSName: `${name}-123.us-east-1.elb.amazonaws.com`, HostedZoneId: LB_ZONE } : undefined),
  nameOf: (dns) => /^(web-[ab])-123\.us-east-1\.elb\.amazonaws\.com$/.exec(dns)?.[1],
};

const weighted = (setIdentifier: string, weight: number, lb: string): ResourceRecordSetInput => ({
  Name: 'web.example.internal',
  Type: 'A',
  SetIdentifier: setIdentifier,
  Weight: weight,
  AliasTarget: { HostedZoneId: LB_ZONE, DNSName: `${lb}-123.us-east-1.elb.amazonaws.com`, EvaluateTargetHealth: false },
});

function bed(options: { changePropagationSeconds?: number; blue?: number; green?: number } = {}) {
  const clock = new VirtualClock(T0);
  const calls: Array<[string, number]> = [];
  const r53 = new SimulatedRoute53({
    clock,
    traffic: { setOfferedLoad: (target, rps) => calls.push([target, rps]) },
    loadBalancers: directory,
    rateLimits: false,
    ...(options.changePropagationSeconds !== undefined ? { changePropagationSeconds: options.changePropagationSeconds } : {}),
  });
  const zone = r53.createHostedZone({ name: 'example.internal', id: 'ZEXAMPLE123' });
  r53.seedRecords('example.internal', [weighted('blue', options.blue ?? 255, 'web-a'), weighted('green', options.green ?? 0, 'web-b')]);
  const upsert = (weights: Record<string, number>) =>
    r53.changeResourceRecordSets({
      HostedZoneId: zone.Id,
      ChangeBatch: { Changes: Object.entries(weights).map(([id, w]) => ({ Action: 'UPSERT', ResourceRecordSet: weighted(id, w, id === 'blue' ? 'web-a' : 'web-b') })) },
    });
  return { clock, r53, zone, calls, upsert };
}

async function refusal(call: Promise<unknown>): Promise<{ name: string; message: string; messages?: string[]; $retryable?: unknown }> {
  try {
    await call;
  } catch (error) {
    return error as { name: string; message: string; messages?: string[] };
  }
  throw new Error('expected the call to be refused');
}

describe('simulated Route 53: changes and traffic', () => {
  it('a change is PENDING until exactly the configured propagation time (default 60 s), then INSYNC', async () => {
    expect(ROUTE53_DEFAULTS.changePropagationSeconds).toBe(60);
    const { clock, r53, upsert } = bed();
    // given the default world's weights; when green is raised to 25 at T0
    const { ChangeInfo } = await upsert({ blue: 230, green: 25 });
    expect(ChangeInfo).toMatchObject({ Status: 'PENDING', SubmittedAt: new Date(T0) });
    expect(ChangeInfo.Id).toMatch(/^\/change\/C[0-9A-F]{20}$/);
    // then PENDING at 59.999 s, INSYNC at 60 s (with or without the /change/ prefix)
    clock.advance(59_999);
    expect((await r53.getChange({ Id: ChangeInfo.Id })).ChangeInfo.Status).toBe('PENDING');
    clock.advance(1);
    expect((await r53.getChange({ Id: ChangeInfo.Id.replace('/change/', '') })).ChangeInfo.Status).toBe('INSYNC');
  });

  it('a configured propagation time of 5 s: INSYNC at 5 s', async () => {
    const { clock, r53, upsert } = bed({ changePropagationSeconds: 5 });
    const { ChangeInfo } = await upsert({ green: 1 });
    clock.advance(4_999);
    expect((await r53.getChange({ Id: ChangeInfo.Id })).ChangeInfo.Status).toBe('PENDING');
    clock.advance(1);
    expect((await r53.getChange({ Id: ChangeInfo.Id })).ChangeInfo.Status).toBe('INSYNC');
  });

  it('weights split traffic only once INSYNC: 100 req/s, 255/0 → UPSERT 230/25 → all to blue for 60 s, then 90.2 % / 9.8 %', async () => {
    // given 255/0: web-a gets all 100 req/s, web-b none
    const { clock, r53, calls, upsert } = bed();
    expect(calls).toEqual([
      ['web-a', 100],
      ['web-b', 0],
    ]);
    expect(r53.offeredLoad()).toEqual({ 'web-a': 100 });
    // when the weights become 230/25
    await upsert({ blue: 230, green: 25 });
    // then, while PENDING, resolvers still see 255/0 (ListResourceRecordSets already shows 230/25)
    clock.advance(59_999);
    expect(r53.offeredLoad()).toEqual({ 'web-a': 100 });
    expect(calls).toHaveLength(2);
    const listed = (await r53.listResourceRecordSets({ HostedZoneId: 'ZEXAMPLE123', StartRecordName: 'web.example.internal', StartRecordType: 'A' })).ResourceRecordSets;
    expect(listed.map((r) => [r.SetIdentifier, r.Weight])).toEqual([
      ['blue', 230],
      ['green', 25],
    ]);
    // and at 60 s: 230/255 × 100 = 90.196…, 25/255 × 100 = 9.803…
    clock.advance(1);
    const split = r53.offeredLoad();
    expect(split['web-a']).toBeCloseTo(90.196, 3);
    expect(split['web-b']).toBeCloseTo(9.804, 3);
    expect(calls.slice(2).map(([t]) => t).sort()).toEqual(['web-a', 'web-b']);
  });

  it('all weights 0 → equal shares (50/50), as Route 53 answers', async () => {
    const { clock, r53, upsert } = bed();
    await upsert({ blue: 0 });
    clock.advance(60_000);
    expect(r53.offeredLoad()).toEqual({ 'web-a': 50, 'web-b': 50 });
  });

  it('the offered load of a record name is configurable, and a target that loses all traffic is told 0', async () => {
    const { clock, r53, calls, upsert } = bed();
    r53.setOfferedLoad('web.example.internal', 40);
    expect(calls.at(-1)).toEqual(['web-a', 40]);
    await upsert({ blue: 0, green: 255 });
    clock.advance(60_000);
    expect(r53.offeredLoad()).toEqual({ 'web-b': 40 });
    expect(calls.slice(-2).sort()).toEqual([
      ['web-a', 0],
      ['web-b', 40],
    ]);
  });

  it('two changes in flight: the second one INSYNC wins, and resolvers move step by step', async () => {
    const { clock, r53, upsert } = bed();
    await upsert({ blue: 128, green: 127 }); // T0
    clock.advance(30_000);
    await upsert({ blue: 0, green: 255 }); // T0 + 30 s
    clock.advance(30_000); // the first INSYNC: 128/255 = 50.196 %
    expect(r53.offeredLoad()['web-a']).toBeCloseTo(50.196, 3);
    clock.advance(30_000); // the second
    expect(r53.offeredLoad()).toEqual({ 'web-b': 100 });
  });

  it('describeRecords shows each record with its target and the status of its latest change', async () => {
    const { clock, r53, upsert } = bed();
    await upsert({ green: 25 });
    const rows = r53.describeRecords('example.internal').filter((r) => r.Type === 'A');
    expect(rows.map((r) => [r.SetIdentifier, r.Weight, r.Target, r.ChangeStatus])).toEqual([
      ['blue', 255, 'web-a', undefined],
      ['green', 25, 'web-b', 'PENDING'],
    ]);
    clock.advance(60_000);
    expect(r53.describeRecords('example.internal').find((r) => r.SetIdentifier === 'green')!.ChangeStatus).toBe('INSYNC');
  });
});

describe('simulated Route 53: ChangeResourceRecordSets validation', () => {
  it('Weight 256 is InvalidInput naming the member', async () => {
    const { upsert } = bed();
    const error = await refusal(upsert({ green: 256 }));
    expect(error.name).toBe('InvalidInput');
    expect(error.message).toBe(
      "1 validation error detected: Value '256' at 'changeBatch.changes.1.member.resourceRecordSet.weight' failed to satisfy constraint: Member must have value less than or equal to 255",
    );
  });

  it('CREATE of an existing record and DELETE of a missing one are InvalidChangeBatch with every message; nothing changes', async () => {
    const { r53, zone } = bed();
    const error = await refusal(
      r53.changeResourceRecordSets({
        HostedZoneId: zone.Id,
        ChangeBatch: {
          Changes: [
            { Action: 'CREATE', ResourceRecordSet: weighted('blue', 1, 'web-a') },
            { Action: 'DELETE', ResourceRecordSet: weighted('purple', 1, 'web-a') },
            { Action: 'UPSERT', ResourceRecordSet: weighted('green', 9, 'web-b') },
          ],
        },
      }),
    );
    expect(error.name).toBe('InvalidChangeBatch');
    expect(error.messages).toEqual([
      "Tried to create resource record set [name='web.example.internal.', type='A', set-identifier='blue'] but it already exists",
      "Tried to delete resource record set [name='web.example.internal.', type='A', set-identifier='purple'] but it was not found",
    ]);
    expect(r53.describeRecords(zone.Id).find((r) => r.SetIdentifier === 'green')!.Weight).toBe(0);
  });

  it('DELETE with values that differ from the current ones, a name outside the zone, a CNAME beside an A', async () => {
    const { r53, zone } = bed();
    const error = await refusal(
      r53.changeResourceRecordSets({
        HostedZoneId: zone.Id,
        ChangeBatch: {
          Changes: [
            { Action: 'DELETE', ResourceRecordSet: weighted('blue', 7, 'web-a') },
            { Action: 'CREATE', ResourceRecordSet: { Name: 'web.other.internal', Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: 'x.example.internal' }] } },
            { Action: 'CREATE', ResourceRecordSet: { Name: 'web.example.internal', Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: 'x.example.internal' }] } },
          ],
        },
      }),
    );
    expect(error.messages).toEqual([
      "Tried to delete resource record set [name='web.example.internal.', type='A', set-identifier='blue'] but the values provided do not match the current values",
      'RRSet with DNS name web.other.internal. is not permitted in zone example.internal.',
      'RRSet of type CNAME with DNS name web.example.internal. is not permitted as it conflicts with other records with the same DNS name in zone example.internal.',
    ]);
  });

  it('an alias to a name that is no load balancer is refused; SetIdentifier without Weight and an alias with a TTL are InvalidInput', async () => {
    const { r53, zone } = bed();
    const alias = await refusal(
      r53.changeResourceRecordSets({
        HostedZoneId: zone.Id,
        ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: { ...weighted('green', 1, 'web-b'), AliasTarget: { HostedZoneId: LB_ZONE, DNSName: 'nope.elb.amazonaws.com', EvaluateTargetHealth: false } } }] },
      }),
    );
    expect(alias.messages).toEqual(['Tried to create an alias that targets nope.elb.amazonaws.com., type A in zone Z35SXDOTRQ7X7K, but the alias target name does not lie within the target zone']);
    const { Weight: _w, ...noWeight } = weighted('green', 1, 'web-b');
    const missing = await refusal(r53.changeResourceRecordSets({ HostedZoneId: zone.Id, ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: noWeight }] } }));
    expect(missing.name).toBe('InvalidInput');
    expect(missing.message).toMatch(/Expected exactly one of \[Weight, .*\], but found none in Change with \[Action=UPSERT, Name=web.example.internal., Type=A, SetIdentifier=green\]/);
    const both = await refusal(r53.changeResourceRecordSets({ HostedZoneId: zone.Id, ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: { ...weighted('green', 1, 'web-b'), TTL: 60 } }] } }));
    expect(both.message).toMatch(/Expected exactly one of \[AliasTarget, all of \[TTL, and ResourceRecords\], or TrafficPolicyInstanceId\], but found more than one/);
  });

  it('an unknown action, an empty batch, an unknown zone', async () => {
    const { r53, zone } = bed();
    expect((await refusal(r53.changeResourceRecordSets({ HostedZoneId: zone.Id, ChangeBatch: { Changes: [{ Action: 'MOVE', ResourceRecordSet: weighted('blue', 1, 'web-a') }] } }))).message).toBe(
      "1 validation error detected: Value 'MOVE' at 'changeBatch.changes.1.member.action' failed to satisfy constraint: Member must satisfy enum value set: [CREATE, DELETE, UPSERT]",
    );
    expect((await refusal(r53.changeResourceRecordSets({ HostedZoneId: zone.Id, ChangeBatch: { Changes: [] } }))).message).toMatch(/at 'changeBatch.changes' failed to satisfy constraint: Member must have length greater than or equal to 1/);
    const unknown = await refusal(r53.changeResourceRecordSets({ HostedZoneId: 'ZNOPE', ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: weighted('blue', 1, 'web-a') }] } }));
    expect([unknown.name, unknown.message]).toEqual(['NoSuchHostedZone', 'No hosted zone found with ID: ZNOPE']);
    expect((await refusal(r53.getChange({ Id: '/change/CNOPE' }))).name).toBe('NoSuchChange');
  });

  it('1,000 ResourceRecord elements per batch, an UPSERT counting twice: 1,000 CREATE values pass, 501 UPSERT values do not', async () => {
    const { r53, zone } = bed();
    const txt = (name: string, count: number): ResourceRecordSetInput => ({ Name: `${name}.example.internal`, Type: 'TXT', TTL: 60, ResourceRecords: Array.from({ length: count }, (_, i) => ({ Value: `"${i}"` })) });
    await r53.changeResourceRecordSets({ HostedZoneId: zone.Id, ChangeBatch: { Changes: [{ Action: 'CREATE', ResourceRecordSet: txt('a', 1000) }] } });
    const error = await refusal(r53.changeResourceRecordSets({ HostedZoneId: zone.Id, ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: txt('b', 501) }] } }));
    expect(error.messages).toEqual(['Number of records limit of 1000 exceeded.']);
  });

  it('32,000 characters of Value per batch: 33 values of 1,000 characters are refused', async () => {
    const { r53, zone } = bed();
    const value = `"${'x'.repeat(998)}"`;
    const error = await refusal(
      r53.changeResourceRecordSets({ HostedZoneId: zone.Id, ChangeBatch: { Changes: [{ Action: 'CREATE', ResourceRecordSet: { Name: 't.example.internal', Type: 'TXT', TTL: 60, ResourceRecords: Array.from({ length: 33 }, () => ({ Value: value })) } }] } }),
    );
    expect(error.messages).toEqual(['Number of characters in Value elements limit of 32000 exceeded.']);
  });
});

describe('simulated Route 53: ListResourceRecordSets and throttling', () => {
  it('pages in Route 53 order (apex NS, SOA, then web A blue, green) with NextRecordName/Type/Identifier', async () => {
    const { r53, zone } = bed();
    const first = await r53.listResourceRecordSets({ HostedZoneId: zone.Id, MaxItems: 3 });
    expect(first.ResourceRecordSets.map((r) => [r.Name, r.Type, r.SetIdentifier])).toEqual([
      ['example.internal.', 'NS', undefined],
      ['example.internal.', 'SOA', undefined],
      ['web.example.internal.', 'A', 'blue'],
    ]);
    expect(first).toMatchObject({ IsTruncated: true, NextRecordName: 'web.example.internal.', NextRecordType: 'A', NextRecordIdentifier: 'green', MaxItems: 3 });
    const second = await r53.listResourceRecordSets({ HostedZoneId: zone.Id, MaxItems: 3, StartRecordName: first.NextRecordName, StartRecordType: first.NextRecordType, StartRecordIdentifier: first.NextRecordIdentifier });
    expect(second.ResourceRecordSets.map((r) => r.SetIdentifier)).toEqual(['green']);
    expect(second.IsTruncated).toBe(false);
    expect(second.NextRecordName).toBeUndefined();
  });

  it('MaxItems above 300 lists 300; StartRecordType without a name is InvalidInput', async () => {
    const { r53, zone } = bed();
    expect((await r53.listResourceRecordSets({ HostedZoneId: zone.Id, MaxItems: 1000 })).MaxItems).toBe(300);
    expect((await refusal(r53.listResourceRecordSets({ HostedZoneId: zone.Id, StartRecordType: 'A' }))).name).toBe('InvalidInput');
  });

  it('five requests a second per account: the 6th at once is Throttling (Rate exceeded, retryable as a throttle); 200 ms later one more passes', async () => {
    const { clock, r53, zone } = bed();
    const r53Throttled = new SimulatedRoute53({ clock });
    const z = r53Throttled.createHostedZone({ name: 'example.internal' });
    for (let i = 0; i < 5; i++) await r53Throttled.listResourceRecordSets({ HostedZoneId: z.Id });
    const error = await refusal(r53Throttled.listResourceRecordSets({ HostedZoneId: z.Id }));
    expect([error.name, error.message, error.$retryable]).toEqual(['Throttling', 'Rate exceeded', { throttling: true }]);
    clock.advance(200); // 5 tokens a second: one more after 200 ms
    await r53Throttled.getChange({ Id: 'x' }).catch((e: Error) => expect(e.name).toBe('NoSuchChange'));
    expect((await refusal(r53Throttled.listResourceRecordSets({ HostedZoneId: z.Id }))).name).toBe('Throttling');
    // (the bed's own simulator has throttling off)
    await r53.listResourceRecordSets({ HostedZoneId: zone.Id });
  });
});

describe('the default world (kernel.ts, DEFAULT_SIM_SERVICES)', () => {
  it('has hosted zone example.internal with web.example.internal blue → web-a 100, green → web-b 0, and hook functions smoke-ok / smoke-fail', async () => {
    const clock = new VirtualClock(T0);
    const world = new SimulatedCluster({ clock, rateLimits: false });
    const offered: Array<[string, number]> = [];
    const services = createSimulatedServices({ world, clock, description: DEFAULT_SIM_SERVICES, loadBalancerTraffic: { setOfferedLoad: (lb, rps) => offered.push([lb, rps]) } });
    const rows = services.route53.describeRecords('example.internal').filter((r) => r.Type === 'A');
    expect(rows.map((r) => [r.Name, r.SetIdentifier, r.Weight, r.Target, r.AliasTarget?.DNSName])).toEqual([
      ['web.example.internal.', 'blue', 100, 'web-a', 'web-a.us-east-1.elb.amazonaws.com.'],
      ['web.example.internal.', 'green', 0, 'web-b', 'web-b.us-east-1.elb.amazonaws.com.'],
    ]);
    expect(offered).toEqual([
      ['web-a', 100],
      ['web-b', 0],
    ]);
    expect(services.route53.changePropagationSeconds).toBe(60);
    expect(services.lambda.listFunctions().map((f) => [f.FunctionName, f.Answer])).toEqual([
      ['smoke-ok', 'SUCCEEDED'],
      ['smoke-fail', 'FAILED'],
    ]);
    services.close();
  });

  it('hostedZonesOf and functionsOf describe the current weights and answers; services built from them again have them (services.json)', async () => {
    const clock = new VirtualClock(T0);
    const world = new SimulatedCluster({ clock, rateLimits: false });
    const first = createSimulatedServices({ world, clock, description: DEFAULT_SIM_SERVICES });
    const zone = first.route53.hostedZone('example.internal')!;
    let saved = 0;
    first.route53.onRecordsChange(() => saved++);
    await first.route53.changeResourceRecordSets({
      HostedZoneId: zone.Id,
      ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: 'web.example.internal', Type: 'A', SetIdentifier: 'green', Weight: 10, AliasTarget: first.route53.aliasTargetOf('web-b')! } }] },
    });
    expect(saved).toBe(1);
    first.lambda.defineFunction({ name: 'smoke-ok', answer: 'IN_PROGRESS', callBackDelaySeconds: 20 });
    const description = parseSimServicesDescription(JSON.parse(JSON.stringify({ ...DEFAULT_SIM_SERVICES, hostedZones: hostedZonesOf(first.route53, () => 100), functions: functionsOf(first.lambda) })));
    expect(description.hostedZones).toEqual({
      'example.internal': { id: zone.Id.replace('/hostedzone/', ''), records: { 'web.example.internal': { requestsPerSecond: 100, weighted: { blue: { loadBalancer: 'web-a', weight: 100 }, green: { loadBalancer: 'web-b', weight: 10 } } } } },
    });
    const again = createSimulatedServices({ world, clock, description });
    expect(again.route53.hostedZone('example.internal')!.Id).toBe(zone.Id);
    expect(again.route53.offeredLoad()['web-b']).toBeCloseTo(100 * (10 / 110), 9);
    expect(again.lambda.describeFunction('smoke-ok')).toMatchObject({ Answer: 'IN_PROGRESS', CallBackDelaySeconds: 20 });
    first.close();
    again.close();
  });
});
