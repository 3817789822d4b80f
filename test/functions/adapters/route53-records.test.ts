/**
 * The WeightedRecords adapter: its request shapes against a mocked Route 53 client (every page of
 * the name, the UPSERT carrying each record whole with only its Weight changed, GetChange), and the
 * same adapter over the simulated Route 53 (PENDING → INSYNC on the virtual clock).
 */
import { ChangeResourceRecordSetsCommand, GetChangeCommand, ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Route53WeightedRecords, route53ThroughSdk } from '../../../functions/adapters/route53-records';
import { VirtualClock } from '../../../local/sim/clock';
import { SimulatedRoute53 } from '../../../local/sim/route53';

const route53 = mockClient(Route53Client);
let records: Route53WeightedRecords;

beforeEach(() => {
  route53.reset();
  records = new Route53WeightedRecords(route53ThroughSdk({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }));
});
afterEach(() => route53.reset());

const alias = (lb: string) => ({ HostedZoneId: 'Z35SXDOTRQ7X7K', DNSName: `${lb}-1.us-east-1.elb.amazonaws.com.`, EvaluateTargetHealth: true });
const blue = { Name: 'web.example.internal.', Type: 'A' as const, SetIdentifier: 'blue', Weight: 255, AliasTarget: alias('web-a') };
const green = { Name: 'web.example.internal.', Type: 'A' as const, SetIdentifier: 'green', Weight: 0, AliasTarget: alias('web-b') };

describe('Route53WeightedRecords (request shapes)', () => {
  it('reads the name from StartRecordName, following pages while the next record has the name, and stops past it', async () => {
    route53
      .on(ListResourceRecordSetsCommand)
      .resolvesOnce({ ResourceRecordSets: [blue], IsTruncated: true, NextRecordName: 'web.example.internal.', NextRecordType: 'A', NextRecordIdentifier: 'green', MaxItems: 1 })
      .resolvesOnce({ ResourceRecordSets: [green, { Name: 'x.example.internal.', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '10.0.0.1' }] }], IsTruncated: true, NextRecordName: 'y.example.internal.', NextRecordType: 'A', MaxItems: 2 });
    expect(await records.read('Z123', 'Web.Example.Internal')).toEqual([
      { setIdentifier: 'blue', weight: 255, type: 'A', target: 'web-a-1.us-east-1.elb.amazonaws.com' },
      { setIdentifier: 'green', weight: 0, type: 'A', target: 'web-b-1.us-east-1.elb.amazonaws.com' },
    ]);
    expect(route53.commandCalls(ListResourceRecordSetsCommand).map((c) => c.args[0].input)).toEqual([
      { HostedZoneId: 'Z123', StartRecordName: 'web.example.internal.' },
      { HostedZoneId: 'Z123', StartRecordName: 'web.example.internal.', StartRecordType: 'A', StartRecordIdentifier: 'green' },
    ]);
  });

  it('setWeights: one UPSERT batch, each record as read with only its Weight changed; GetChange by the id answered', async () => {
    const cname = { Name: 'web.example.internal.', Type: 'A' as const, SetIdentifier: 'canary', Weight: 3, TTL: 60, ResourceRecords: [{ Value: '10.0.0.9' }], HealthCheckId: 'hc-1' };
    route53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [blue, cname, green], IsTruncated: false, MaxItems: 300 });
    route53.on(ChangeResourceRecordSetsCommand).resolves({ ChangeInfo: { Id: '/change/C0001', Status: 'PENDING', SubmittedAt: new Date(0) } });
    route53.on(GetChangeCommand).resolves({ ChangeInfo: { Id: '/change/C0001', Status: 'INSYNC', SubmittedAt: new Date(0) } });

    expect(await records.setWeights('Z123', 'web.example.internal', { blue: 230, green: 25 })).toEqual({ changeId: '/change/C0001', status: 'PENDING' });
    expect(route53.commandCalls(ChangeResourceRecordSetsCommand).map((c) => c.args[0].input)).toEqual([
      {
        HostedZoneId: 'Z123',
        ChangeBatch: {
          Comment: 'blox: web.example.internal. weights blue=230 green=25',
          Changes: [
            { Action: 'UPSERT', ResourceRecordSet: { ...blue, Weight: 230 } },
            { Action: 'UPSERT', ResourceRecordSet: { ...green, Weight: 25 } },
          ],
        },
      },
    ]);
    expect(await records.changeStatus('/change/C0001')).toBe('INSYNC');
    // the id as answered (the SDK trims "/change/" on the wire, after the command is built)
    expect(route53.commandCalls(GetChangeCommand)[0]!.args[0].input).toEqual({ Id: '/change/C0001' });
  });

  it('setWeights with the weights the records already have sends nothing: change id "" (a copy of the action would start a new PENDING change)', async () => {
    route53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [blue, green], IsTruncated: false, MaxItems: 300 });
    expect(await records.setWeights('Z123', 'web.example.internal', { blue: blue.Weight, green: green.Weight })).toEqual({ changeId: '', status: 'INSYNC' });
    expect(route53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(0);
  });

  it('refuses, sending nothing, a set identifier that is not a weighted record of the name, and a weight out of 0-255', async () => {
    route53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [blue, green], IsTruncated: false, MaxItems: 300 });
    await expect(records.setWeights('Z123', 'web.example.internal', { purple: 1 })).rejects.toThrow('web.example.internal in hosted zone Z123 has no weighted record with set identifier "purple" (found: blue, green)');
    await expect(records.setWeights('Z123', 'web.example.internal', { green: 256 })).rejects.toThrow('weight of "green" in web.example.internal: expected a whole number 0-255, got 256');
    expect(route53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(0);
  });

  it("Route 53's errors propagate (the reconcile is retried)", async () => {
    route53.on(ListResourceRecordSetsCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    await expect(records.read('Z123', 'web.example.internal')).rejects.toThrow('Rate exceeded');
  });
});

describe('Route53WeightedRecords over the simulated Route 53', () => {
  it('reads the seeded weights, UPSERTs 230/25 (PENDING), INSYNC at 60 s; the alias target is kept', async () => {
    const clock = new VirtualClock(Date.UTC(2024, 0, 1));
    const sim = new SimulatedRoute53({ clock, rateLimits: false });
    const zone = sim.createHostedZone({ name: 'example.internal', id: 'ZEXAMPLE' });
    sim.seedRecords(zone.Id, [blue, green]);
    const adapter = new Route53WeightedRecords(sim);
    expect((await adapter.read('ZEXAMPLE', 'web.example.internal')).map((r) => [r.setIdentifier, r.weight])).toEqual([
      ['blue', 255],
      ['green', 0],
    ]);
    const { changeId, status } = await adapter.setWeights('/hostedzone/ZEXAMPLE', 'web.example.internal', { blue: 230, green: 25 });
    expect(status).toBe('PENDING');
    clock.advance(59_999);
    expect(await adapter.changeStatus(changeId)).toBe('PENDING');
    clock.advance(1);
    expect(await adapter.changeStatus(changeId)).toBe('INSYNC');
    expect(await adapter.read('ZEXAMPLE', 'web.example.internal')).toEqual([
      { setIdentifier: 'blue', weight: 230, type: 'A', target: 'web-a-1.us-east-1.elb.amazonaws.com' },
      { setIdentifier: 'green', weight: 25, type: 'A', target: 'web-b-1.us-east-1.elb.amazonaws.com' },
    ]);
  });
});
