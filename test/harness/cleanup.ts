import { after } from 'node:test';

const stack: Array<() => unknown> = [];

/**
 * Registers cleanup for the end of the test file. Cleanups run in reverse order of registration (workers
 * stop before the connections and databases they use go away); node:test's own `after` hooks run in
 * registration order, which closed connections under running workers.
 */
export function onCleanup(fn: () => unknown): void {
  if (stack.length === 0) {
    after(async () => {
      while (stack.length > 0) await stack.pop()?.();
    });
  }
  stack.push(fn);
}
