import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import proto from '@temporalio/proto';

/** Recorded workflow histories, one JSON file each, written by scripts/record-history.ts. */
export const HISTORIES_DIR = fileURLToPath(new URL('./histories/', import.meta.url));

type History = proto.temporal.api.history.v1.IHistory;
const { History } = proto.temporal.api.history.v1;

// The files use protobufjs's object form (enums and 64-bit ints as strings, bytes as base64) rather than
// the SDK's historyToJSON/historyFromJSON: with @temporalio/common and @temporalio/proto each holding its
// own nested protobufjs 8 copy in this install, those fail with "type must be a Type".
const OBJECT_FORM = { enums: String, longs: String, bytes: String } as const;

export function historyToFileJSON(history: History): string {
  return JSON.stringify(History.toObject(History.fromObject(history), OBJECT_FORM), null, 2) + '\n';
}

export function historyFromFileJSON(json: string): History {
  return History.fromObject(JSON.parse(json) as Record<string, unknown>);
}

export interface RecordedHistory {
  /** File name without `.json`. */
  name: string;
  workflowType: string;
  history: History;
}

export function recordedHistories(): RecordedHistory[] {
  return readdirSync(HISTORIES_DIR)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => {
      const history = historyFromFileJSON(readFileSync(path.join(HISTORIES_DIR, file), 'utf8'));
      const workflowType = history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;
      if (!workflowType) throw new Error(`${file}: the first event is not WorkflowExecutionStarted`);
      return { name: file.slice(0, -'.json'.length), workflowType, history };
    });
}
