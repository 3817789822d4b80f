/**
 * Simulated Lambda for hooks: the chosen answers, Invoke's shapes and errors, and the record of
 * every invocation (payload and time on the virtual clock).
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../local/sim/clock';
import { SimulatedLambda } from '../../../local/sim/lambda';
import { T0 } from './helpers';

const ARN = 'arn:aws:lambda:us-east-1:123456789012:function:';
const decode = (payload: Uint8Array | undefined) => JSON.parse(new TextDecoder().decode(payload)) as unknown;

function bed() {
  const clock = new VirtualClock(T0);
  const lambda = new SimulatedLambda({ clock });
  lambda.defineFunction({ name: 'smoke-ok', answer: 'SUCCEEDED' });
  lambda.defineFunction({ name: 'smoke-fail', answer: 'FAILED' });
  return { clock, lambda };
}

async function refusal(call: Promise<unknown>): Promise<{ name: string; message: string; $metadata: { httpStatusCode: number }; Reason?: string }> {
  try {
    await call;
  } catch (error) {
    return error as { name: string; message: string; $metadata: { httpStatusCode: number } };
  }
  throw new Error('expected the call to be refused');
}

const HOOK = { EnvironmentName: 'web/prod', Revision: 3, DeploymentId: 'web/prod:3@2024010100000000', Stage: 'PreTraffic' };

describe('simulated Lambda: hooks', () => {
  it('answers the chosen hookStatus as a JSON payload, and records the payload and the time', async () => {
    const { clock, lambda } = bed();
    clock.advance(5_000);
    const ok = await lambda.invoke({ FunctionName: `${ARN}smoke-ok`, InvocationType: 'RequestResponse', Payload: new TextEncoder().encode(JSON.stringify(HOOK)) });
    expect(ok.StatusCode).toBe(200);
    expect(ok.FunctionError).toBeUndefined();
    expect(decode(ok.Payload)).toEqual({ hookStatus: 'SUCCEEDED' });
    expect(decode((await lambda.invoke({ FunctionName: 'smoke-fail', Payload: JSON.stringify(HOOK) })).Payload)).toEqual({ hookStatus: 'FAILED' });
    expect(lambda.invocations('smoke-ok')).toEqual([{ functionName: 'smoke-ok', payload: HOOK, at: T0 + 5_000, invocationType: 'RequestResponse', answer: 'SUCCEEDED' }]);
    expect(lambda.listFunctions().map((f) => [f.FunctionName, f.Invocations])).toEqual([
      ['smoke-ok', 1],
      ['smoke-fail', 1],
    ]);
  });

  it('IN_PROGRESS with a call-back delay; the answer can be changed and the count is kept', async () => {
    const { lambda } = bed();
    await lambda.invoke({ FunctionName: 'smoke-ok', Payload: '{}' });
    lambda.defineFunction({ name: 'smoke-ok', answer: 'IN_PROGRESS', callBackDelaySeconds: 45 });
    expect(decode((await lambda.invoke({ FunctionName: 'smoke-ok', Payload: '{}' })).Payload)).toEqual({ hookStatus: 'IN_PROGRESS', callBackDelaySeconds: 45 });
    expect(lambda.describeFunction('smoke-ok')).toMatchObject({ Answer: 'IN_PROGRESS', CallBackDelaySeconds: 45, Invocations: 2 });
  });

  it('ERROR: FunctionError Unhandled with the error payload', async () => {
    const { lambda } = bed();
    lambda.defineFunction({ name: 'smoke-ok', answer: 'ERROR' });
    const out = await lambda.invoke({ FunctionName: 'smoke-ok', Payload: '{}' });
    expect(out).toMatchObject({ StatusCode: 200, FunctionError: 'Unhandled' });
    expect(decode(out.Payload)).toMatchObject({ errorType: 'Error' });
  });

  it("Lambda's errors: unknown function (404), another account, a version that is not $LATEST, bad JSON, over 6 MB, reserved concurrency 0", async () => {
    const { lambda } = bed();
    const missing = await refusal(lambda.invoke({ FunctionName: 'nope' }));
    expect([missing.name, missing.message, missing.$metadata.httpStatusCode]).toEqual(['ResourceNotFoundException', `Function not found: ${ARN}nope`, 404]);
    expect((await refusal(lambda.invoke({ FunctionName: 'arn:aws:lambda:us-east-1:999999999999:function:smoke-ok' }))).name).toBe('ResourceNotFoundException');
    expect((await refusal(lambda.invoke({ FunctionName: 'smoke-ok:7' }))).message).toBe(`Function not found: ${ARN}smoke-ok:7`);
    expect((await lambda.invoke({ FunctionName: '123456789012:function:smoke-ok:$LATEST', Payload: '{}' })).StatusCode).toBe(200);
    expect((await refusal(lambda.invoke({ FunctionName: 'smoke-ok', Payload: '{not json' }))).name).toBe('InvalidRequestContentException');
    const big = await refusal(lambda.invoke({ FunctionName: 'smoke-ok', Payload: JSON.stringify({ x: 'x'.repeat(6 * 1024 * 1024) }) }));
    expect([big.name, big.message, big.$metadata.httpStatusCode]).toEqual(['RequestTooLargeException', 'Request must be smaller than 6291456 bytes for the InvokeFunction operation', 413]);
    lambda.defineFunction({ name: 'smoke-ok', answer: 'SUCCEEDED', reservedConcurrency: 0 });
    const throttled = await refusal(lambda.invoke({ FunctionName: 'smoke-ok', Payload: '{}' }));
    expect([throttled.name, throttled.Reason, throttled.$metadata.httpStatusCode]).toEqual(['TooManyRequestsException', 'ReservedFunctionConcurrentInvocationLimitExceeded', 429]);
    // none of the refused calls was recorded as an invocation
    expect(lambda.invocations('smoke-ok')).toHaveLength(1);
  });

  it('Event answers 202 without a payload (still recorded); DryRun answers 204 and runs nothing', async () => {
    const { lambda } = bed();
    expect(await lambda.invoke({ FunctionName: 'smoke-ok', InvocationType: 'Event', Payload: '{}' })).toEqual({ StatusCode: 202 });
    expect(await lambda.invoke({ FunctionName: 'smoke-ok', InvocationType: 'DryRun' })).toEqual({ StatusCode: 204 });
    expect(lambda.invocations('smoke-ok').map((i) => i.invocationType)).toEqual(['Event']);
  });
});
