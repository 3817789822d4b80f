/**
 * The Hooks adapter: Invoke's request shape against a mocked Lambda client (RequestResponse, the
 * JSON payload), every kind of answer read as the port's result (a function error or an answer that
 * is no answer is FAILED with the reason), and the same adapter over the simulated Lambda.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { invokeThroughSdk, LambdaHooks } from '../../../functions/adapters/lambda-hooks';
import type { HookPayload } from '../../../functions/ports';
import { VirtualClock } from '../../../local/sim/clock';
import { SimulatedLambda } from '../../../local/sim/lambda';

const lambda = mockClient(LambdaClient);
let hooks: LambdaHooks;
const ARN = 'arn:aws:lambda:us-east-1:123456789012:function:smoke';
const PAYLOAD: HookPayload = { EnvironmentName: 'web/prod', Revision: 3, DeploymentId: 'web/prod:3@2024010100000000', Stage: 'PreTraffic' };
const bytes = (value: unknown) => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value)) as never;

beforeEach(() => {
  lambda.reset();
  hooks = new LambdaHooks(invokeThroughSdk({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }));
});
afterEach(() => lambda.reset());

describe('LambdaHooks (request shapes)', () => {
  it('invokes RequestResponse with the JSON payload; SUCCEEDED', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: bytes({ hookStatus: 'SUCCEEDED' }) });
    expect(await hooks.invoke(ARN, PAYLOAD)).toEqual({ hookStatus: 'SUCCEEDED' });
    const input = lambda.commandCalls(InvokeCommand)[0]!.args[0].input;
    expect({ ...input, Payload: JSON.parse(new TextDecoder().decode(input.Payload as Uint8Array)) as unknown }).toEqual({ FunctionName: ARN, InvocationType: 'RequestResponse', Payload: PAYLOAD });
  });

  it('IN_PROGRESS with its delay, or 30 s without one', async () => {
    lambda.on(InvokeCommand).resolvesOnce({ StatusCode: 200, Payload: bytes({ hookStatus: 'IN_PROGRESS', callBackDelaySeconds: 45 }) }).resolvesOnce({ StatusCode: 200, Payload: bytes({ hookStatus: 'IN_PROGRESS' }) });
    expect(await hooks.invoke(ARN, PAYLOAD)).toEqual({ hookStatus: 'IN_PROGRESS', callBackDelaySeconds: 45 });
    expect(await hooks.invoke(ARN, PAYLOAD)).toEqual({ hookStatus: 'IN_PROGRESS', callBackDelaySeconds: 30 });
  });

  it('FAILED: answered FAILED (no more to say), a function error, not JSON, an unknown status, a bad delay — each with its reason (the planner names the hook)', async () => {
    lambda
      .on(InvokeCommand)
      .resolvesOnce({ StatusCode: 200, Payload: bytes({ hookStatus: 'FAILED' }) })
      .resolvesOnce({ StatusCode: 200, FunctionError: 'Unhandled', Payload: bytes({ errorType: 'TypeError', errorMessage: 'x is undefined' }) })
      .resolvesOnce({ StatusCode: 200, Payload: bytes('ok') })
      .resolvesOnce({ StatusCode: 200, Payload: bytes({ hookStatus: 'DONE' }) })
      .resolvesOnce({ StatusCode: 200, Payload: bytes({ hookStatus: 'IN_PROGRESS', callBackDelaySeconds: -1 }) });
    const reasons = [];
    for (let i = 0; i < 5; i++) reasons.push(await hooks.invoke(ARN, PAYLOAD));
    expect(reasons).toEqual([
      { hookStatus: 'FAILED', reason: '' },
      { hookStatus: 'FAILED', reason: 'function error (Unhandled): TypeError: x is undefined' },
      { hookStatus: 'FAILED', reason: 'answered "ok", not JSON { hookStatus }' },
      { hookStatus: 'FAILED', reason: 'answered {"hookStatus":"DONE"}, expected { hookStatus: SUCCEEDED | FAILED | IN_PROGRESS }' },
      { hookStatus: 'FAILED', reason: 'answered IN_PROGRESS with callBackDelaySeconds -1, expected a whole number of seconds >= 0' },
    ]);
  });

  it('a function that does not exist is FAILED; throttling propagates (retried)', async () => {
    lambda
      .on(InvokeCommand)
      .rejectsOnce(Object.assign(new Error(`Function not found: ${ARN}`), { name: 'ResourceNotFoundException' }))
      .rejectsOnce(Object.assign(new Error('Rate Exceeded.'), { name: 'TooManyRequestsException' }));
    expect(await hooks.invoke(ARN, PAYLOAD)).toEqual({ hookStatus: 'FAILED', reason: `ResourceNotFoundException: Function not found: ${ARN}` });
    await expect(hooks.invoke(ARN, PAYLOAD)).rejects.toThrow('Rate Exceeded.');
  });
});

describe('LambdaHooks over the simulated Lambda', () => {
  it('smoke-ok SUCCEEDED, smoke-fail FAILED, ERROR as a function error; the payload recorded as sent', async () => {
    const clock = new VirtualClock(Date.UTC(2024, 0, 1));
    const sim = new SimulatedLambda({ clock });
    sim.defineFunction({ name: 'smoke-ok', answer: 'SUCCEEDED' });
    sim.defineFunction({ name: 'smoke-fail', answer: 'FAILED' });
    const adapter = new LambdaHooks(sim);
    expect(await adapter.invoke(sim.functionArn('smoke-ok'), PAYLOAD)).toEqual({ hookStatus: 'SUCCEEDED' });
    expect(await adapter.invoke(sim.functionArn('smoke-fail'), PAYLOAD)).toEqual({ hookStatus: 'FAILED', reason: '' });
    sim.defineFunction({ name: 'smoke-ok', answer: 'ERROR' });
    expect((await adapter.invoke(sim.functionArn('smoke-ok'), PAYLOAD)).hookStatus).toBe('FAILED');
    expect((await adapter.invoke(sim.functionArn('nope'), PAYLOAD))).toMatchObject({ hookStatus: 'FAILED', reason: expect.stringContaining('ResourceNotFoundException') as unknown });
    expect(sim.invocations('smoke-ok').map((i) => i.payload)).toEqual([PAYLOAD, PAYLOAD]);
  });
});
