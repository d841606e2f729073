/**
 * Named error types shared across Dharma. The API maps them through its error catalog; the CLI prints
 * their message without a stack trace.
 */
export class DharmaError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class ConfigError extends DharmaError {
  constructor(
    readonly variable: string,
    readonly expected: string,
    readonly got: string,
  ) {
    super(`${variable}: expected ${expected}, got ${JSON.stringify(got)}`);
  }
}

export class ServiceUnreachable extends DharmaError {
  constructor(
    readonly service: string,
    readonly variable: string,
    readonly target: string,
    cause?: unknown,
  ) {
    super(
      `${service} is unreachable at ${target} (set by ${variable}): ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}

export class ToolMissing extends DharmaError {
  constructor(
    readonly tool: string,
    readonly hint: string,
  ) {
    super(`${tool} is not installed: ${hint}`);
  }
}
