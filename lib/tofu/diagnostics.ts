/**
 * Tofu's diagnostics (its "Error: ..." blocks), read from the machine-readable UI (`-json`, one JSON
 * message per stdout line) or, for commands without it, from the human-readable stderr.
 */
export interface TofuDiagnostic {
  severity: 'error' | 'warning';
  summary: string;
  detail: string;
  /** The resource the diagnostic is about, when tofu names one. */
  address?: string;
}

/** One message of tofu's machine-readable UI (`-json`). Only the fields Dharma reads are modelled. */
export interface JsonUiMessage {
  '@level'?: string;
  '@message'?: string;
  type?: string;
  diagnostic?: { severity?: string; summary?: string; detail?: string; address?: string };
  hook?: {
    resource?: { addr?: string; resource_type?: string };
    action?: string;
    id_value?: string;
    elapsed_seconds?: number;
  };
  changes?: { add?: number; change?: number; remove?: number; operation?: string };
}

/** A `-json` UI line, or undefined for anything else (tofu prints plain text before it is configured). */
export function parseJsonUiLine(line: string): JsonUiMessage | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return value !== null && typeof value === 'object' ? value : undefined;
  } catch {
    return undefined;
  }
}

const MAX_DETAIL = 600;

function tidy(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_DETAIL ? `${flat.slice(0, MAX_DETAIL)}…` : flat;
}

/** Error and warning diagnostics among `-json` UI lines. */
export function diagnosticsFromJson(lines: readonly string[]): TofuDiagnostic[] {
  const found: TofuDiagnostic[] = [];
  for (const line of lines) {
    const message = parseJsonUiLine(line);
    const d = message?.type === 'diagnostic' ? message.diagnostic : undefined;
    if (!d || (d.severity !== 'error' && d.severity !== 'warning')) continue;
    found.push({
      severity: d.severity,
      summary: tidy(d.summary ?? ''),
      detail: tidy(d.detail ?? ''),
      ...(d.address ? { address: d.address } : {}),
    });
  }
  return found;
}

/**
 * The detail without the quoted source: `on main.tf.json line 1, in resource.x:` stays (it says where),
 * the numbered source lines and their underline markers go (a JSON config is one long line).
 */
function withoutSnippet(detail: string): string {
  return detail
    .split('\n')
    .filter((line) => !/^\s*\d+: /.test(line) && !/^\s*[│├╵~^|]+\s*$/.test(line))
    .join('\n');
}

/** Diagnostics from human-readable output (`-no-color`): blocks starting `Error: ` or `Warning: `. */
export function diagnosticsFromText(text: string): TofuDiagnostic[] {
  const found: TofuDiagnostic[] = [];
  const blocks = text.split(/\n(?=(?:Error|Warning): )/);
  for (const block of blocks) {
    const match = /^\s*(Error|Warning): (.*)\n?([\s\S]*)$/.exec(block);
    if (!match) continue;
    found.push({
      severity: match[1] === 'Error' ? 'error' : 'warning',
      summary: tidy(match[2] ?? ''),
      detail: tidy(withoutSnippet(match[3] ?? '')),
    });
  }
  return found;
}

/** `summary: detail` of every error, one per line: what a person needs to fix the problem. */
export function describeErrors(diagnostics: readonly TofuDiagnostic[]): string {
  return diagnostics
    .filter((d) => d.severity === 'error')
    .map((d) => [d.address, d.summary, d.detail].filter(Boolean).join(': '))
    .join('\n');
}
