/**
 * The `Hooks` port on Lambda's Invoke (`@aws-sdk/client-lambda`): a lifecycle hook is a function
 * invoked synchronously (`InvocationType: RequestResponse`) with `{ EnvironmentName, Revision,
 * DeploymentId, Stage }` as its JSON payload, answering `{ hookStatus, callBackDelaySeconds? }`
 * (DESIGN.md, "Safety").
 *
 * The client is anything that answers Invoke in the SDK's shapes: the simulated Lambda
 * (`local/sim/lambda.ts`) does, and so does `invokeThroughSdk()` over the SDK's client (loaded on
 * first use: only a deployment with hooks invokes one).
 *
 * What Lambda does, and what this adapter does about it (Lambda API Reference, Invoke; "Lambda quotas"):
 * - A function that throws answers HTTP 200 with `FunctionError` (`Unhandled`) and its error as the
 *   payload (`{ errorType, errorMessage }`): FAILED, with the error as the reason. So is an answer
 *   that is not JSON, not an object, or whose `hookStatus` is not SUCCEEDED | FAILED | IN_PROGRESS,
 *   or whose `callBackDelaySeconds` is not a whole number of seconds ≥ 0.
 * - IN_PROGRESS without `callBackDelaySeconds`: call again after 30 s (`DEFAULT_HOOK_CALL_BACK_SECONDS`).
 * - Errors a retry will not mend — the function does not exist (`ResourceNotFoundException`), may not
 *   be invoked (`AccessDeniedException`), the payload is refused (`InvalidRequestContentException`,
 *   `RequestTooLargeException`, over 6 MB synchronous), a bad parameter — are FAILED with Lambda's
 *   error as the reason: the hook cannot pass. Everything else (throttling: `TooManyRequestsException`,
 *   Lambda's service errors, the network) propagates: the reconcile is retried, and the hook's
 *   `TimeoutSeconds` bounds how long.
 * - The SDK's client waits for the function: a hook should answer quickly (IN_PROGRESS and a
 *   call-back delay for long checks); the client's request timeout is Lambda's 15-minute maximum.
 * - IAM: `lambda:InvokeFunction` on the hook functions' ARNs (serverless.yml's `hookFunctionArns`).
 *
 * invoke('arn:aws:lambda:…:function:smoke', { EnvironmentName: 'web/prod', Revision: 3, DeploymentId: '…', Stage: 'PreTraffic' })
 *   → { hookStatus: 'SUCCEEDED' } | { hookStatus: 'IN_PROGRESS', callBackDelaySeconds: 30 } | { hookStatus: 'FAILED', reason: '…' }
 */
import type { LambdaClientConfig } from '@aws-sdk/client-lambda';
import type { HookPayload, HookResult, Hooks } from '../ports';
import { DEFAULT_HOOK_CALL_BACK_SECONDS } from '../ports';
import type { invokeClient } from './sdk/lambda';

/** Invoke in the SDK's shapes (the fields read here). */
export interface InvokeClient {
  invoke(input: { FunctionName: string; InvocationType: 'RequestResponse'; Payload: Uint8Array }): Promise<{
    StatusCode?: number | undefined;
    FunctionError?: string | undefined;
    Payload?: Uint8Array | undefined;
  }>;
}

/**
 * Invoke through the SDK's Lambda client, which is loaded (a dynamic import of `sdk/lambda.ts`) and
 * built on the first call, and kept for the life of the container.
 */
export function invokeThroughSdk(config: LambdaClientConfig = {}): InvokeClient {
  let send: ReturnType<typeof invokeClient> | undefined;
  return {
    invoke: async (input) => {
      send ??= (await import('./sdk/lambda')).invokeClient(config);
      return send(input);
    },
  };
}

/** Lambda's errors that say the hook cannot pass, whatever the retries. */
const PERMANENT = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'InvalidRequestContentException',
  'RequestTooLargeException',
  'InvalidParameterValueException',
  'InvalidRuntimeException',
  'ResourceConflictException',
  'KMSAccessDeniedException',
  'UnsupportedMediaTypeException',
]);

const STATUSES: ReadonlySet<string> = new Set(['SUCCEEDED', 'FAILED', 'IN_PROGRESS']);
const MAX_REASON = 512;

/** FAILED with why (the planner names the hook and its stage: `hook smoke (PreTraffic) answered FAILED: <why>`). */
function failed(why: string): HookResult {
  return { hookStatus: 'FAILED', reason: why.slice(0, MAX_REASON) };
}

export class LambdaHooks implements Hooks {
  constructor(private readonly client: InvokeClient) {}

  async invoke(functionArn: string, payload: HookPayload): Promise<HookResult> {
    let answer: Awaited<ReturnType<InvokeClient['invoke']>>;
    try {
      answer = await this.client.invoke({ FunctionName: functionArn, InvocationType: 'RequestResponse', Payload: new TextEncoder().encode(JSON.stringify(payload)) });
    } catch (error) {
      const { name, message } = error as Error;
      if (PERMANENT.has(name)) return failed(`${name}: ${message}`);
      throw error;
    }
    const text = answer.Payload ? new TextDecoder().decode(answer.Payload) : '';
    if (answer.FunctionError) {
      let detail = text;
      try {
        const parsed = JSON.parse(text) as { errorType?: unknown; errorMessage?: unknown };
        if (typeof parsed.errorMessage === 'string') detail = `${typeof parsed.errorType === 'string' ? `${parsed.errorType}: ` : ''}${parsed.errorMessage}`;
      } catch {
        // the raw payload is the detail
      }
      return failed(`function error (${answer.FunctionError})${detail ? `: ${detail}` : ''}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return failed(`answered ${text ? `${JSON.stringify(text.slice(0, 100))}` : 'nothing'}, not JSON { hookStatus }`);
    }
    const body = parsed as { hookStatus?: unknown; callBackDelaySeconds?: unknown } | null;
    if (typeof body !== 'object' || body === null || typeof body.hookStatus !== 'string' || !STATUSES.has(body.hookStatus)) {
      return failed(`answered ${JSON.stringify(parsed).slice(0, 100)}, expected { hookStatus: SUCCEEDED | FAILED | IN_PROGRESS }`);
    }
    if (body.hookStatus === 'SUCCEEDED') return { hookStatus: 'SUCCEEDED' };
    // The function's own FAILED needs no more words (an empty reason).
    if (body.hookStatus === 'FAILED') return failed('');
    const delay = body.callBackDelaySeconds;
    if (delay === undefined || delay === null) return { hookStatus: 'IN_PROGRESS', callBackDelaySeconds: DEFAULT_HOOK_CALL_BACK_SECONDS };
    if (typeof delay !== 'number' || !Number.isInteger(delay) || delay < 0) return failed(`answered IN_PROGRESS with callBackDelaySeconds ${JSON.stringify(delay)}, expected a whole number of seconds >= 0`);
    return { hookStatus: 'IN_PROGRESS', callBackDelaySeconds: delay };
  }
}
