import { setTimeout as sleep } from 'node:timers/promises';
import type { Sample, Starter } from './load.js';

/**
 * Open-loop load: `count` starts at `perSecond`, each sent on its schedule whether or not earlier ones
 * have answered (at most `maxInFlight`), so latency is service time at a given arrival rate instead of
 * the queueing a saturated closed loop measures. Latency counts from the scheduled send, so a client
 * that falls behind its schedule shows up in the figures instead of hiding.
 */
export async function runPaced(
  start: Starter,
  count: number,
  perSecond: number,
  maxInFlight: number,
  into: Sample,
): Promise<void> {
  const intervalMs = 1000 / perSecond;
  const began = performance.now();
  const inFlight = new Set<Promise<void>>();
  for (let index = 0; index < count; index++) {
    const due = began + index * intervalMs;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
    const one = start(index).then(
      () => {
        into.latenciesMs.push(performance.now() - due);
      },
      (error: unknown) => {
        into.errors += 1;
        into.firstError ??= error instanceof Error ? error.message : String(error);
      },
    );
    const tracked = one.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  }
  await Promise.all(inFlight);
  into.busyMs += performance.now() - began;
}
