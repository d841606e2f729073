import { pino, type Logger } from 'pino';
import { setting } from './config.js';

export type { Logger };

export function createLogger(name: string, bindings: Record<string, unknown> = {}): Logger {
  return pino({ name, level: setting('LOG_LEVEL'), base: { pid: process.pid, ...bindings } });
}
