import { DharmaError } from '../errors.js';

/** One thing wrong with a playbook file, located by file and field. */
export interface PlaybookProblem {
  file: string;
  /** Field path as people read it, e.g. `steps[1].action`; empty for the whole file. */
  path: string;
  message: string;
}

export const formatProblem = (p: PlaybookProblem) =>
  [p.file, p.path, p.message].filter((part) => part !== '').join(': ');

export class PlaybookInvalid extends DharmaError {
  constructor(readonly problems: readonly PlaybookProblem[]) {
    super(`invalid playbooks:\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`);
  }
}

/** A step or probe cannot be filled in from this alert (missing label, value of the wrong type). */
export class PlaybookRenderError extends DharmaError {
  constructor(
    readonly playbookId: string,
    readonly field: string,
    reason: string,
  ) {
    super(`playbook ${playbookId}: ${field}: ${reason}`);
  }
}
