import { freePort } from '../../lib/net.js';

/** Free ports for every server `dharma up` starts, as the settings that choose them. */
export async function platformPorts(): Promise<Record<string, string>> {
  const names = ['TEMPORAL_DEV_PORT', 'TEMPORAL_UI_PORT', 'EMBEDDED_PG_PORT', 'API_PORT', 'METRICS_PORT'];
  const ports: Record<string, string> = {};
  for (const name of names) ports[name] = String(await freePort());
  return ports;
}
