/**
 * SigV4 signing of Blox API requests (API Gateway with IAM authorization: service `execute-api`).
 *
 * ```ts
 * const sign = sigV4Signer({ region: 'eu-west-1', credentials: { accessKeyId: 'AKID', secretAccessKey: '…' } });
 * const headers = await sign({ method: 'GET', url: new URL('https://abc.execute-api.eu-west-1.amazonaws.com/environments'),
 *                              headers: { accept: 'application/json' }, body: undefined });
 * // headers.authorization = 'AWS4-HMAC-SHA256 Credential=AKID/20260101/eu-west-1/execute-api/aws4_request, …'
 * ```
 *
 * Only loaded for `https:` URLs, so the local (http) case never pays for the AWS SDK.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { RequestSigner, SignableRequest } from './client';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

export type CredentialsProvider = () => Promise<Credentials>;

export interface SigV4SignerOptions {
  region: string;
  /** Fixed credentials, or a provider (called per request; the SDK providers memoize). */
  credentials: Credentials | CredentialsProvider;
  /** Default `execute-api`. */
  service?: string;
  /** The signing clock; default `() => new Date()`. */
  now?: () => Date;
}

/** Thrown when no region can be found for an https URL. */
export class SigningConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SigningConfigurationError';
  }
}

const EXECUTE_API_HOST = /\.execute-api\.([a-z]{2}(?:-[a-z]+)+-\d+)\.(?:vpce\.)?amazonaws\.com(?:\.cn)?$/;

/** The region in an `*.execute-api.<region>.amazonaws.com` host name, if it is one. */
export function regionFromHost(hostname: string): string | undefined {
  return EXECUTE_API_HOST.exec(hostname.toLowerCase())?.[1];
}

/**
 * The signing region: taken from an `execute-api` host name when the URL is one (the only region that
 * can verify the signature), otherwise from `AWS_REGION` / `AWS_DEFAULT_REGION` (custom domains).
 */
export function resolveRegion(url: URL, env: Record<string, string | undefined>): string | undefined {
  return regionFromHost(url.hostname) ?? (env.AWS_REGION || undefined) ?? (env.AWS_DEFAULT_REGION || undefined);
}

export function sigV4Signer(options: SigV4SignerOptions): RequestSigner {
  const signer = new SignatureV4({
    service: options.service ?? 'execute-api',
    region: options.region,
    credentials: options.credentials,
    sha256: Sha256,
  });
  const now = options.now ?? (() => new Date());

  return async (request: SignableRequest) => {
    const { url } = request;
    const query: Record<string, string | string[]> = {};
    for (const [key, value] of url.searchParams) {
      const existing = query[key];
      if (existing === undefined) query[key] = value;
      else query[key] = Array.isArray(existing) ? [...existing, value] : [existing, value];
    }
    const signed = await signer.sign(
      {
        method: request.method,
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port ? Number(url.port) : undefined,
        // As sent on the wire (names already percent-encoded once); the signer encodes it again,
        // as SigV4 requires for every service but S3.
        path: url.pathname,
        query,
        // `host` is what fetch will send: the URL's host, with the port only when it is not the default.
        headers: { ...request.headers, host: url.host },
        body: request.body,
      },
      { signingDate: now() },
    );
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(signed.headers)) {
      // fetch sets Host itself (from the URL), to the same value that was signed.
      if (name.toLowerCase() !== 'host') headers[name] = String(value);
    }
    return headers;
  };
}

/**
 * The signer the CLI uses for an https base URL: credentials from the Node provider chain
 * (environment, SSO, shared config/credentials files, process, web identity, ECS/EC2 metadata).
 */
export function defaultSigner(base: URL, env: Record<string, string | undefined>): RequestSigner {
  const region = resolveRegion(base, env);
  if (!region) {
    throw new SigningConfigurationError(
      `cannot tell which AWS region ${base.host} is in: set AWS_REGION (needed to sign requests to an https API)`,
    );
  }
  let provider: CredentialsProvider | undefined;
  const credentials: CredentialsProvider = async () => {
    if (!provider) {
      const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
      provider = fromNodeProviderChain();
    }
    try {
      return await provider();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new SigningConfigurationError(`no AWS credentials to sign requests to ${base.host}: ${reason}`);
    }
  };
  return sigV4Signer({ region, credentials });
}
