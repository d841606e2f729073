import { DharmaError } from '../errors.js';

/** One thing wrong with a blueprint document, located by field. */
export interface BlueprintProblem {
  /** Field path as people read it, e.g. `resources[2].dependsOn[0]`; empty for the whole document. */
  path: string;
  /** The same field as a JSON pointer, e.g. `/resources/2/dependsOn/0`. */
  pointer: string;
  message: string;
}

export class BlueprintInvalid extends DharmaError {
  constructor(readonly problems: readonly BlueprintProblem[]) {
    super(
      `blueprint is invalid: ${problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('; ')}`,
    );
  }
}

/** YAML or JSON text that does not parse, with the 1-based position of the first error. */
export class BlueprintSyntaxError extends DharmaError {
  constructor(
    readonly format: 'yaml' | 'json',
    readonly line: number,
    readonly column: number,
    reason: string,
  ) {
    super(`${format.toUpperCase()} syntax error at line ${line}, column ${column}: ${reason}`);
  }
}

export class BlueprintNotFound extends DharmaError {
  constructor(
    readonly id: string,
    readonly version?: string,
  ) {
    super(
      version === undefined
        ? `blueprint ${JSON.stringify(id)} does not exist`
        : `blueprint ${JSON.stringify(id)} has no version ${JSON.stringify(version)}`,
    );
  }
}

export class BlueprintExists extends DharmaError {
  constructor(readonly id: string) {
    super(`a blueprint with id ${JSON.stringify(id)} already exists (ids of deleted blueprints stay taken)`);
  }
}

/** A new version must follow the latest one: versions are never rewritten. */
export class BlueprintVersionConflict extends DharmaError {
  constructor(
    readonly id: string,
    readonly requested: string,
    readonly latest: string,
  ) {
    super(
      `version ${requested} of blueprint ${JSON.stringify(id)} must be higher than its latest version ${latest}; ` +
        'omit version to bump the minor version',
    );
  }
}
