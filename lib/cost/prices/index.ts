import { setting, type Env } from '../../config.js';
import { ConfigError } from '../../errors.js';
import type { PriceTable } from '../price-table.js';
import { PRICES_2025_06_01 } from './2025-06-01.js';

/** Every price table, oldest first. A new table is a new file added here, never an edit of an old one. */
export const PRICE_TABLES: readonly PriceTable[] = [PRICES_2025_06_01];

export function latestPriceTable(): PriceTable {
  return PRICE_TABLES.reduce((a, b) => (b.version > a.version ? b : a));
}

/** The table of `version`; the newest when `version` is empty. */
export function priceTable(version: string): PriceTable | undefined {
  return version === '' ? latestPriceTable() : PRICE_TABLES.find((t) => t.version === version);
}

/** The table COST_PRICE_TABLE names (default: the newest). */
export function priceTableFromEnv(env: Env = process.env): PriceTable {
  const version = setting('COST_PRICE_TABLE', env);
  const table = priceTable(version);
  if (!table) {
    throw new ConfigError(
      'COST_PRICE_TABLE',
      `one of ${PRICE_TABLES.map((t) => t.version).join(', ')}`,
      version,
    );
  }
  return table;
}
