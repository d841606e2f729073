import { checkFailed, describeError, invalidProbe, probeNotConfigured, quoted } from './check.js';

/** One sample of a series: its labels and its value (NaN and ±Inf included, as Prometheus writes them). */
export interface Sample {
  labels: Record<string, string>;
  value: number;
}

export interface Series {
  labels: Record<string, string>;
  /** Oldest first. */
  values: number[];
}

type Point = [number, string];

interface Answer {
  status?: string;
  errorType?: string;
  error?: string;
  data?: { resultType?: string; result?: unknown };
}

/** A client of the Prometheus HTTP API for one activity: its messages name the activity and the query. */
export class PrometheusApi {
  constructor(
    private readonly baseUrl: string,
    private readonly activity: string,
  ) {
    if (!baseUrl) {
      throw probeNotConfigured(
        `${activity}: PROMETHEUS_URL is not set on the cloud worker, so it has no Prometheus to query`,
      );
    }
  }

  /** `/api/v1/query` at the current time: the samples of an instant vector or a scalar. */
  async instant(query: string, timeoutMs: number): Promise<Sample[]> {
    const data = await this.call('query', { query, timeout: `${timeoutMs / 1000}s` }, query, timeoutMs);
    if (data.resultType === 'scalar') return [{ labels: {}, value: pointValue(data.result as Point) }];
    if (data.resultType !== 'vector') throw this.unexpected(query, data.resultType, 'an instant vector');
    return (data.result as Array<{ metric: Record<string, string>; value: Point }>).map((s) => ({
      labels: s.metric,
      value: pointValue(s.value),
    }));
  }

  /** `/api/v1/query_range` from `startSeconds` to `endSeconds` every `stepSeconds`. */
  async range(
    query: string,
    startSeconds: number,
    endSeconds: number,
    stepSeconds: number,
    timeoutMs: number,
  ): Promise<Series[]> {
    const params = {
      query,
      start: startSeconds.toFixed(3),
      end: endSeconds.toFixed(3),
      step: String(stepSeconds),
      timeout: `${timeoutMs / 1000}s`,
    };
    const data = await this.call('query_range', params, query, timeoutMs);
    if (data.resultType !== 'matrix') throw this.unexpected(query, data.resultType, 'a range of numbers');
    return (data.result as Array<{ metric: Record<string, string>; values: Point[] }>).map((s) => ({
      labels: s.metric,
      values: s.values.map(pointValue),
    }));
  }

  private async call(
    endpoint: string,
    params: Record<string, string>,
    query: string,
    timeoutMs: number,
  ): Promise<{ resultType?: string; result?: unknown }> {
    const url = new URL(`api/v1/${endpoint}`, this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`);
    let status: number;
    let answer: Answer;
    try {
      // POST: queries can be longer than a URL may be.
      const response = await fetch(url, {
        method: 'POST',
        body: new URLSearchParams(params),
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = response.status;
      answer = (await response.json()) as Answer;
    } catch (error) {
      throw checkFailed(
        `${this.activity}: Prometheus at ${url.origin} gave no usable answer: ${describeError(error)}`,
      );
    }
    if (answer.status === 'success' && answer.data) return answer.data;
    const reason = `${answer.errorType ?? `HTTP ${status}`}: ${answer.error ?? 'no error message'}`;
    // bad_data is a query that does not parse or parameters Prometheus refuses: the playbook's mistake.
    if (answer.errorType === 'bad_data') {
      throw invalidProbe(`${this.activity}: Prometheus rejected query ${quoted(query)} (${reason})`);
    }
    throw checkFailed(`${this.activity}: Prometheus could not evaluate ${quoted(query)} (${reason})`);
  }

  private unexpected(query: string, resultType: string | undefined, expected: string) {
    const hint = resultType === 'matrix' ? ' (drop the [range] selector or wrap it in a function)' : '';
    return invalidProbe(
      `${this.activity}: query ${quoted(query)} returns a ${resultType ?? 'missing'} result, expected ${expected}${hint}`,
    );
  }
}

/** Prometheus writes values as strings, infinities as +Inf/-Inf (which Number() does not read). */
function pointValue([, raw]: Point): number {
  if (raw === '+Inf') return Infinity;
  if (raw === '-Inf') return -Infinity;
  return Number(raw);
}

/** `{job="api", instance="a:9100"}`, as Prometheus prints a series. */
export function seriesName(labels: Record<string, string>): string {
  const { __name__: name = '', ...rest } = labels;
  const pairs = Object.entries(rest).map(([key, value]) => `${key}=${JSON.stringify(value)}`);
  return `${name}{${pairs.join(', ')}}`;
}
