import { setting, type Env } from '../config.js';
import { ConfigError } from '../errors.js';

const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
/** Fields every line carries that a person does not need to read again on each line. */
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'v', 'pools', 'sdkComponent']);

function value(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/**
 * Turns one relayed child line (`[workers] {pino json}`) into `12:00:01 INFO  [workers] msg key=value`;
 * lines that are not pino JSON pass through unchanged.
 */
export function prettyLine(line: string): string {
  const match = /^(\[[^\]]+\]) (\{.*\})$/.exec(line);
  if (!match) return line;
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(match[2]!) as Record<string, unknown>;
  } catch {
    return line;
  }
  const time =
    typeof record.time === 'number' ? new Date(record.time).toISOString().slice(11, 19) : '--:--:--';
  const level = (LEVELS[Number(record.level)] ?? 'INFO').padEnd(5);
  const fields = Object.entries(record)
    .filter(([key]) => !HIDDEN.has(key))
    .map(([key, v]) => `${key}=${value(v)}`)
    .join(' ');
  return `${time} ${level} ${match[1]} ${value(record.msg ?? '')}${fields ? ` ${fields}` : ''}`;
}

/** LOG_FORMAT: `pretty` for people at a terminal, `json` (lines as the processes wrote them) for collectors. */
export function logFormatter(env: Env): (line: string) => string {
  const format = setting('LOG_FORMAT', env);
  if (format === 'json') return (line) => line;
  if (format === 'pretty') return prettyLine;
  throw new ConfigError('LOG_FORMAT', 'pretty or json', format);
}
