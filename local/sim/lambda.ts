/**
 * Simulated AWS Lambda, for lifecycle hooks: functions by name whose answer the simulation chooses
 * (`SUCCEEDED`, `FAILED`, `IN_PROGRESS` with an optional call-back delay, or `ERROR`: the handler
 * throws), invoked through Lambda's Invoke in the SDK's shapes, every invocation recorded (payload,
 * time, answer) so a test can assert what was sent.
 *
 * ```ts
 * const lambda = new SimulatedLambda({ clock });
 * lambda.defineFunction({ name: 'smoke-ok', answer: 'SUCCEEDED' });
 * const out = await lambda.invoke({ FunctionName: 'arn:aws:lambda:us-east-1:123456789012:function:smoke-ok', Payload: JSON.stringify({ Stage: 'PreTraffic' }) });
 * JSON.parse(new TextDecoder().decode(out.Payload))   // → { hookStatus: 'SUCCEEDED' }
 * lambda.invocations('smoke-ok')                      // → [{ payload: { Stage: 'PreTraffic' }, at: …, … }]
 * ```
 *
 * What is enforced, and where it comes from (Lambda API Reference, Invoke; "Lambda quotas"):
 * - A function is named by its name, its ARN (`arn:aws:lambda:<region>:<account>:function:<name>`)
 *   or a partial ARN (`<account>:function:<name>`), each optionally with a `:<qualifier>` (only
 *   `$LATEST` exists here). Another account or Region, or an unknown name, is
 *   `ResourceNotFoundException` (`Function not found: <arn>`, HTTP 404).
 * - InvocationType `RequestResponse` (default) answers HTTP 200 with the function's payload;
 *   `Event` answers 202 without one (the function still runs and is recorded); `DryRun` answers 204
 *   and runs nothing. Another value is `InvalidParameterValueException`.
 * - The payload must be JSON (`InvalidRequestContentException`: "Could not parse request body into
 *   json: …", HTTP 400) and at most 6 MB (6,291,456 bytes) for a synchronous invocation, 1 MB
 *   (1,048,576) for an asynchronous one: `RequestTooLargeException` ("Request must be smaller than
 *   6291456 bytes for the InvokeFunction operation", HTTP 413).
 * - A function whose answer is `ERROR` fails as a handler that throws does: HTTP 200 with
 *   `FunctionError: 'Unhandled'` and the payload `{ errorType, errorMessage }` (Lambda's shape of an
 *   uncaught error).
 * - A function with `reservedConcurrency: 0` is throttled on every invocation, as Lambda does:
 *   `TooManyRequestsException` ("Rate Exceeded.", Reason
 *   `ReservedFunctionConcurrentInvocationLimitExceeded`, HTTP 429). Invocations take no time here, so
 *   other concurrency limits and Lambda's request-rate limits are not reached and not modelled.
 *
 * A hook's answer (DESIGN.md, "Safety"): `{ hookStatus: SUCCEEDED | FAILED | IN_PROGRESS,
 * callBackDelaySeconds? }` (the delay only when set).
 *
 * Wiring: `kernel.ts` builds it from the world description's `functions` (`local/cluster.yml`:
 * `smoke-ok`, `smoke-fail`); the local stack serves it through `/_sim/functions` (`blox sim
 * list-functions`, `blox sim set-function`) and the engine's Hooks port
 * (`functions/adapters/lambda-hooks.ts`) runs over this class as over the SDK's client.
 */
import type { SimClock } from './clock';
import { SimulatedAwsError } from './errors';

export const HOOK_ANSWERS = ['SUCCEEDED', 'FAILED', 'IN_PROGRESS', 'ERROR'] as const;
export type HookAnswer = (typeof HOOK_ANSWERS)[number];

export const LAMBDA_LIMITS = Object.freeze({
  /** "Invocation payload (request and response)": 6 MB each for synchronous invocations. */
  synchronousPayloadBytes: 6 * 1024 * 1024,
  /** 1 MB for asynchronous (Event) invocations. */
  asynchronousPayloadBytes: 1024 * 1024,
  functionNameLength: 64,
});

export interface FunctionSetup {
  name: string;
  answer: HookAnswer;
  /** With IN_PROGRESS: the `callBackDelaySeconds` of the answer. */
  callBackDelaySeconds?: number | undefined;
  /** 0: every invocation is throttled (TooManyRequestsException). */
  reservedConcurrency?: number | undefined;
}

export interface InvokeInput {
  FunctionName?: string | undefined;
  InvocationType?: string | undefined;
  Qualifier?: string | undefined;
  Payload?: Uint8Array | string | undefined;
}

export interface InvokeOutput {
  StatusCode: number;
  Payload?: Uint8Array;
  FunctionError?: string;
  ExecutedVersion?: string;
}

export interface Invocation {
  functionName: string;
  /** The payload as sent, parsed. */
  payload: unknown;
  /** Epoch ms on the simulation's clock. */
  at: number;
  invocationType: 'RequestResponse' | 'Event';
  /** What the function answered. */
  answer: HookAnswer;
}

export interface FunctionView {
  FunctionName: string;
  FunctionArn: string;
  Answer: HookAnswer;
  CallBackDelaySeconds?: number;
  ReservedConcurrency?: number;
  Invocations: number;
  LastInvokedAt?: string;
}

export class LambdaError extends SimulatedAwsError {
  readonly Type: 'User' | 'Service' = 'User';
  readonly Reason?: string;
  constructor(name: string, message: string, options: { httpStatusCode: number; reason?: string; throttling?: boolean }) {
    super(name, message, { httpStatusCode: options.httpStatusCode, ...(options.throttling ? { retryable: { throttling: true } } : {}) });
    if (options.reason !== undefined) this.Reason = options.reason;
  }
}

const NAME = /^[a-zA-Z0-9-_]{1,64}$/;

interface FunctionState {
  setup: FunctionSetup;
  invocations: Invocation[];
}

export interface SimulatedLambdaOptions {
  clock: SimClock;
  account?: string;
  region?: string;
}

export class SimulatedLambda {
  readonly account: string;
  readonly region: string;
  private readonly clock: SimClock;
  private readonly functions = new Map<string, FunctionState>();
  private readonly all: Invocation[] = [];

  constructor(options: SimulatedLambdaOptions) {
    this.clock = options.clock;
    this.account = options.account ?? '123456789012';
    this.region = options.region ?? 'us-east-1';
  }

  functionArn(name: string): string {
    return `arn:aws:lambda:${this.region}:${this.account}:function:${name}`;
  }

  // ── Controls (the world file, `blox sim set-function`; not API calls) ──────────────────────────

  /** Defines a function, or changes the answer of one that exists (its invocations are kept). */
  defineFunction(setup: FunctionSetup): FunctionView {
    if (!NAME.test(setup.name)) throw new RangeError(`function name: expected 1-64 letters, digits, "-" and "_", got ${JSON.stringify(setup.name)}`);
    if (!(HOOK_ANSWERS as readonly string[]).includes(setup.answer)) throw new RangeError(`answer: expected one of ${HOOK_ANSWERS.join(', ')}, got ${JSON.stringify(setup.answer)}`);
    if (setup.callBackDelaySeconds !== undefined && !(Number.isInteger(setup.callBackDelaySeconds) && setup.callBackDelaySeconds >= 0)) {
      throw new RangeError(`callBackDelaySeconds: expected a whole number of seconds >= 0, got ${setup.callBackDelaySeconds}`);
    }
    if (setup.reservedConcurrency !== undefined && !(Number.isInteger(setup.reservedConcurrency) && setup.reservedConcurrency >= 0)) {
      throw new RangeError(`reservedConcurrency: expected a whole number >= 0, got ${setup.reservedConcurrency}`);
    }
    const existing = this.functions.get(setup.name);
    if (existing) existing.setup = { ...setup };
    else this.functions.set(setup.name, { setup: { ...setup }, invocations: [] });
    return this.view(this.functions.get(setup.name)!);
  }

  listFunctions(): FunctionView[] {
    return [...this.functions.values()].map((f) => this.view(f));
  }

  describeFunction(nameOrArn: string): FunctionView | undefined {
    const state = this.resolve(nameOrArn);
    return state ? this.view(state) : undefined;
  }

  /** The invocations recorded, of one function or of all, in order. */
  invocations(nameOrArn?: string): Invocation[] {
    if (nameOrArn === undefined) return structuredClone(this.all);
    return structuredClone(this.resolve(nameOrArn)?.invocations ?? []);
  }

  // ── The API ────────────────────────────────────────────────────────────────────────────────────

  async invoke(input: InvokeInput): Promise<InvokeOutput> {
    await Promise.resolve();
    const name = input.FunctionName;
    if (name === undefined || name === '') throw new LambdaError('InvalidParameterValueException', "1 validation error detected: Value null at 'functionName' failed to satisfy constraint: Member must not be null", { httpStatusCode: 400 });
    const type = input.InvocationType ?? 'RequestResponse';
    if (type !== 'RequestResponse' && type !== 'Event' && type !== 'DryRun') {
      throw new LambdaError('InvalidParameterValueException', `1 validation error detected: Value '${type}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]`, {
        httpStatusCode: 400,
      });
    }
    const state = this.resolve(name, input.Qualifier);
    if (!state) throw new LambdaError('ResourceNotFoundException', `Function not found: ${this.notFoundArn(name, input.Qualifier)}`, { httpStatusCode: 404 });
    const bytes = input.Payload === undefined ? new Uint8Array() : typeof input.Payload === 'string' ? new TextEncoder().encode(input.Payload) : input.Payload;
    const limit = type === 'Event' ? LAMBDA_LIMITS.asynchronousPayloadBytes : LAMBDA_LIMITS.synchronousPayloadBytes;
    if (bytes.byteLength > limit) throw new LambdaError('RequestTooLargeException', `Request must be smaller than ${limit} bytes for the InvokeFunction operation`, { httpStatusCode: 413 });
    let payload: unknown = {};
    if (bytes.byteLength > 0) {
      const text = new TextDecoder().decode(bytes);
      try {
        payload = JSON.parse(text);
      } catch (error) {
        throw new LambdaError('InvalidRequestContentException', `Could not parse request body into json: ${(error as Error).message}`, { httpStatusCode: 400 });
      }
    }
    if (type === 'DryRun') return { StatusCode: 204 };
    const setup = state.setup;
    if (setup.reservedConcurrency === 0) {
      throw new LambdaError('TooManyRequestsException', 'Rate Exceeded.', { httpStatusCode: 429, reason: 'ReservedFunctionConcurrentInvocationLimitExceeded', throttling: true });
    }
    const invocation: Invocation = { functionName: setup.name, payload, at: this.clock.now(), invocationType: type, answer: setup.answer };
    state.invocations.push(invocation);
    this.all.push(invocation);
    if (type === 'Event') return { StatusCode: 202 };
    const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
    if (setup.answer === 'ERROR') {
      return { StatusCode: 200, FunctionError: 'Unhandled', ExecutedVersion: '$LATEST', Payload: encode({ errorType: 'Error', errorMessage: `${setup.name}: the hook threw (simulated)`, trace: [] }) };
    }
    const answer = { hookStatus: setup.answer, ...(setup.callBackDelaySeconds !== undefined ? { callBackDelaySeconds: setup.callBackDelaySeconds } : {}) };
    return { StatusCode: 200, ExecutedVersion: '$LATEST', Payload: encode(answer) };
  }

  // ── Internals ──────────────────────────────────────────────────────────────────────────────────

  /** A function by name, ARN or partial ARN, optionally qualified (only `$LATEST` exists). */
  private resolve(nameOrArn: string, qualifier?: string): FunctionState | undefined {
    let rest = nameOrArn;
    const full = /^arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):(\d{12}):function:(.+)$/.exec(rest);
    if (full) {
      if (full[1] !== this.region || full[2] !== this.account) return undefined;
      rest = full[3]!;
    } else {
      const partial = /^(\d{12}):function:(.+)$/.exec(rest);
      if (partial) {
        if (partial[1] !== this.account) return undefined;
        rest = partial[2]!;
      }
    }
    const [name, inlineQualifier, ...extra] = rest.split(':');
    if (extra.length > 0) return undefined;
    const q = qualifier ?? inlineQualifier;
    if (q !== undefined && q !== '$LATEST') return undefined;
    return this.functions.get(name!);
  }

  private notFoundArn(nameOrArn: string, qualifier?: string): string {
    const arn = nameOrArn.startsWith('arn:') ? nameOrArn : /^\d{12}:function:/.test(nameOrArn) ? `arn:aws:lambda:${this.region}:${nameOrArn}` : this.functionArn(nameOrArn);
    return qualifier !== undefined ? `${arn}:${qualifier}` : arn;
  }

  private view(state: FunctionState): FunctionView {
    const { setup, invocations } = state;
    const last = invocations.at(-1);
    return {
      FunctionName: setup.name,
      FunctionArn: this.functionArn(setup.name),
      Answer: setup.answer,
      ...(setup.callBackDelaySeconds !== undefined ? { CallBackDelaySeconds: setup.callBackDelaySeconds } : {}),
      ...(setup.reservedConcurrency !== undefined ? { ReservedConcurrency: setup.reservedConcurrency } : {}),
      Invocations: invocations.length,
      ...(last ? { LastInvokedAt: new Date(last.at).toISOString() } : {}),
    };
  }
}
