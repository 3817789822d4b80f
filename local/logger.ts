/**
 * The local stack's logger: the same Powertools Logger the Lambda functions use, printing either
 * its JSON lines (`--log-format json`) or one readable line per record (the default).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { LogItem } from '@aws-lambda-powertools/logger';

const HIDDEN = new Set(['level', 'message', 'timestamp', 'service', 'sampling_rate', 'xray_trace_id', 'cold_start', 'function_arn', 'function_memory_size', 'function_request_id', 'function_name']);

export class ReadableLogger extends Logger {
  protected override printLog(_logLevel: number, log: LogItem): void {
    const attributes = log.getAttributes() as Record<string, unknown>;
    const time = String(attributes.timestamp ?? new Date().toISOString()).slice(11, 23);
    const fields = Object.entries(attributes)
      .filter(([key, value]) => !HIDDEN.has(key) && value !== undefined)
      .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
      .join(' ');
    process.stdout.write(`${time} ${String(attributes.level ?? '').padEnd(5)} ${String(attributes.message)}${fields ? `  ${fields}` : ''}\n`);
  }
}

export type LogFormat = 'readable' | 'json';

export function createLocalLogger(format: LogFormat, logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT' = 'INFO'): Logger {
  const options = { serviceName: 'blox-deployments', logLevel };
  return format === 'json' ? new Logger(options) : new ReadableLogger(options);
}
