import path from 'node:path';
import { ConfigError } from './errors.js';

/**
 * Every setting Dharma reads, with its default and meaning. This table is the single source for
 * parsing, for `dharma config`, and for the configuration table in README.md (a test keeps them equal).
 */
interface SettingSpec {
  readonly env: string;
  readonly default: string;
  readonly description: string;
}

export const SETTINGS = [
  {
    env: 'DHARMA_HOME',
    default: '.dharma',
    description:
      'State directory for embedded services (Temporal SQLite file, PostgreSQL data, dev signing key).',
  },
  {
    env: 'DHARMA_TOOLS_DIR',
    default: '.tools',
    description: 'Where `npm run setup` installs pinned tools (Temporal CLI, ...).',
  },
  {
    env: 'TEMPORAL_ADDRESS',
    default: '',
    description:
      'host:port of an external Temporal frontend. Empty: start the embedded Temporal CLI dev server (SQLite file in `DHARMA_HOME`, write-ahead log synced at checkpoints: a crash loses nothing, a power cut at worst the last transactions; tests and benchmarks run it the same way).',
  },
  {
    env: 'TEMPORAL_NAMESPACE',
    default: 'dharma',
    description: 'Temporal namespace Dharma uses (created with 30-day retention on the embedded server).',
  },
  {
    env: 'DHARMA_TASK_QUEUE_PREFIX',
    default: 'dharma',
    description:
      'Task queues are named <prefix>-<pool>; change it to run several installations on one namespace.',
  },
  {
    env: 'TEMPORAL_TLS_CERT',
    default: '',
    description: 'Client certificate (PEM path) for mTLS to an external Temporal.',
  },
  {
    env: 'TEMPORAL_TLS_KEY',
    default: '',
    description: 'Client private key (PEM path) for mTLS to an external Temporal.',
  },
  {
    env: 'TEMPORAL_TLS_CA',
    default: '',
    description: 'CA bundle (PEM path) to verify the Temporal server; setting it or the cert enables TLS.',
  },
  {
    env: 'TEMPORAL_TLS_SERVER_NAME',
    default: '',
    description: 'Server name override for Temporal TLS verification.',
  },
  { env: 'TEMPORAL_API_KEY', default: '', description: 'API key for Temporal Cloud (enables TLS).' },
  {
    env: 'TEMPORAL_CLI',
    default: '',
    description: 'Path of a `temporal` CLI binary to use instead of the one `npm run setup` installs.',
  },
  {
    env: 'TEMPORAL_DEV_PORT',
    default: '7233',
    description: 'Port of the embedded Temporal dev server frontend.',
  },
  { env: 'TEMPORAL_UI_PORT', default: '8233', description: 'Port of the embedded Temporal UI.' },
  {
    env: 'TEMPORAL_UI_URL',
    default: '',
    description: 'Temporal UI base URL shown in links. Empty: the embedded UI URL.',
  },
  {
    env: 'DATABASE_URL',
    default: '',
    description: 'PostgreSQL connection string. Empty: start embedded PostgreSQL under DHARMA_HOME.',
  },
  { env: 'EMBEDDED_PG_PORT', default: '5433', description: 'Port of the embedded PostgreSQL server.' },
  { env: 'DATABASE_POOL_MAX', default: '10', description: 'Maximum PostgreSQL connections per process.' },
  { env: 'API_HOST', default: '127.0.0.1', description: 'Address the API listens on.' },
  { env: 'API_PORT', default: '8080', description: 'Port the API listens on.' },
  { env: 'API_URL', default: '', description: 'Base URL the CLI talks to. Empty: http://API_HOST:API_PORT.' },
  {
    env: 'API_TOKEN',
    default: '',
    description:
      'Bearer token the CLI sends. Empty on embedded defaults: the CLI mints one with the dev key.',
  },
  { env: 'AUTH_JWKS_URL', default: '', description: 'JWKS URL whose keys verify API tokens (RS256/ES256).' },
  {
    env: 'AUTH_PUBLIC_KEYS',
    default: '',
    description: 'Comma-separated paths of PEM public keys that verify API tokens (RS256/ES256).',
  },
  { env: 'AUTH_ISSUER', default: 'dharma', description: 'Expected `iss` claim of API tokens.' },
  { env: 'AUTH_AUDIENCE', default: 'dharma-api', description: 'Expected `aud` claim of API tokens.' },
  {
    env: 'AUTH_HS256_SECRET',
    default: '',
    description: 'Shared secret for HS256 tokens. Development only; refused unless AUTH_ALLOW_HS256=true.',
  },
  {
    env: 'AUTH_ALLOW_HS256',
    default: 'false',
    description: 'Accept HS256 tokens signed with AUTH_HS256_SECRET (development only).',
  },
  {
    env: 'AUTH_DEV_KEY',
    default: 'auto',
    description:
      'Trust the local dev signing key under DHARMA_HOME: auto (only on embedded defaults), true, false.',
  },
  {
    env: 'AUTH_TOKEN_TTL',
    default: '3600',
    description: 'Lifetime in seconds of tokens minted by `dharma token` (domain: JWT expiry 1 h).',
  },
  {
    env: 'API_TEMPORAL_TIMEOUT',
    default: '10s',
    description: 'How long the API waits for one Temporal call before answering 503 with Retry-After.',
  },
  {
    env: 'API_TRUST_PROXY',
    default: 'false',
    description:
      'Trust X-Forwarded-For from a reverse proxy for the client IP (rate limits, zero-trust, audit).',
  },
  {
    env: 'RATE_LIMIT_PER_MINUTE',
    default: '1000',
    description: 'API requests per minute per client IP (429 with Retry-After above it).',
  },
  {
    env: 'IDEMPOTENCY_TTL_HOURS',
    default: '24',
    description: 'How long an Idempotency-Key and its first response are kept.',
  },
  {
    env: 'APPROVAL_TIMEOUT',
    default: '24h',
    description: 'How long an approval request waits before it auto-rejects.',
  },
  {
    env: 'APPROVAL_ESCALATE_BEFORE',
    default: '1h',
    description: 'How long before the approval timeout the escalation notification is sent.',
  },
  {
    env: 'NOTIFY_WEBHOOK_URL',
    default: '',
    description:
      'Slack-compatible webhook for escalations. Empty: notifications go to the log and audit table only.',
  },
  {
    env: 'WEBHOOK_SOURCES_CACHE',
    default: '5s',
    description:
      'How long the API caches the webhook_sources table (alert source credentials); edits apply after it.',
  },
  {
    env: 'WEBHOOK_SOURCES_FILE',
    default: '',
    description:
      'YAML/JSON file of alert sources (name, kind, key/keyEnv or secret/secretEnv) the API upserts into webhook_sources at start and re-applies when it changed (read with the table, see WEBHOOK_SOURCES_CACHE). Empty: none.',
  },
  {
    env: 'WEBHOOK_MAX_AGE',
    default: '5m',
    description:
      'Generic webhooks whose X-Dharma-Timestamp is older (or further ahead) than this are refused.',
  },
  {
    env: 'LOCK_LEASE',
    default: '1h',
    description: 'Default lease of a per-resource lock; a holder that does not renew or release loses it.',
  },
  {
    env: 'TRUST_DECISION_TTL_SECONDS',
    default: '900',
    description: 'How long a zero-trust decision stays valid before a step re-checks (domain: 15 min).',
  },
  {
    env: 'TRUST_BUSINESS_HOURS',
    default: '8-18',
    description: 'UTC hours counted as business hours by the zero-trust context score.',
  },
  {
    env: 'TRUST_INTERNAL_CIDRS',
    default: '127.0.0.0/8,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,::1/128',
    description: 'Networks counted as internal by the zero-trust context score.',
  },
  {
    env: 'WORKER_ORCHESTRATION_CONCURRENCY',
    default: '200',
    description: 'Max concurrent workflow tasks on the orchestration pool.',
  },
  {
    env: 'WORKER_TERRAFORM_CONCURRENCY',
    default: '4',
    description: 'Max concurrent activities on the terraform pool.',
  },
  {
    env: 'WORKER_CLOUD_CONCURRENCY',
    default: '50',
    description: 'Max concurrent activities on the cloud pool.',
  },
  {
    env: 'WORKER_TRUST_CONCURRENCY',
    default: '100',
    description: 'Max concurrent activities on the trust pool.',
  },
  { env: 'WORKER_ML_CONCURRENCY', default: '8', description: 'Max concurrent activities on the ml pool.' },
  {
    env: 'WORKER_MAX_CACHED_WORKFLOWS',
    default: '100',
    description:
      'Workflows the orchestration worker keeps in its sticky cache; an evicted one replays its history at its next task. The SDK default (from the heap size) lets an alert storm grow the worker past 700 MiB; 100 keeps it under 512 MiB.',
  },
  {
    env: 'WORKER_SHUTDOWN_GRACE',
    default: '30s',
    description: 'How long a stopping worker lets in-flight activities finish before cancelling them.',
  },
  {
    env: 'WORKER_MAX_REPLICAS',
    default: '4',
    description:
      'Most extra worker processes per pool that the scaleWorkerPool remediation may ask the `npm start` supervisor to run.',
  },
  {
    env: 'METRICS_PORT',
    default: '9464',
    description:
      'Prometheus port of a worker process (its pools share one Temporal runtime and one endpoint). 0 disables.',
  },
  {
    env: 'METRICS_HOST',
    default: '127.0.0.1',
    description: 'Address the worker Prometheus endpoint listens on (0.0.0.0 in containers).',
  },
  {
    env: 'TOFU_BINARY',
    default: '',
    description:
      'OpenTofu (or Terraform) binary that plans and applies. Empty: the pinned tofu in DHARMA_TOOLS_DIR/bin.',
  },
  {
    env: 'TOFU_CLI_CONFIG',
    default: '',
    description:
      'CLI config file (TF_CLI_CONFIG_FILE) for tofu. Empty: DHARMA_TOOLS_DIR/tofu.rc (local provider mirror, no network).',
  },
  {
    env: 'TOFU_WARM_PROVIDERS',
    default: '1',
    description:
      'Provider plugin servers a terraform worker keeps started, per provider set, for the next tofu runs: each run takes servers of its own (killed afterwards) and all its tofu commands reattach to them, instead of each command starting every provider two or three times. 0: tofu starts its providers itself.',
  },
  {
    env: 'TOFU_WARM_PROVIDERS_IDLE',
    default: '5m',
    description: 'How long a started, unused set of provider servers is kept before it is stopped.',
  },
  {
    env: 'ARTIFACT_MAX_BYTES',
    default: '67108864',
    description:
      'Largest artifact (saved plan, plan JSON, log) the terraform pool stores in PostgreSQL, in bytes (64 MiB).',
  },
  {
    env: 'TARGET_POSTGRES_URL',
    default: '',
    description:
      'PostgreSQL server that local blueprints (the dharma provider) manage, given to tofu as PGHOST/PGPORT/PGUSER/PGPASSWORD. Empty: the server of DATABASE_URL (or the embedded one).',
  },
  {
    env: 'OPA_BINARY',
    default: '',
    description: 'OPA binary for `opa build` / `opa test`. Empty: the pinned opa in DHARMA_TOOLS_DIR/bin.',
  },
  {
    env: 'POLICY_WASM',
    default: '',
    description:
      'Compiled Rego guardrails evaluated in-process. Empty: dist/policies/policy.wasm (built by setup).',
  },
  {
    env: 'COST_PRICE_TABLE',
    default: '',
    description: 'Version of the price table cost estimates use (lib/cost/prices). Empty: the newest.',
  },
  {
    env: 'RISK_MODEL_PATH',
    default: '',
    description:
      'Change-risk ONNX model (model-meta.json must sit beside it). Empty: models/change-risk/model.onnx.',
  },
  {
    env: 'ALERT_CLASSIFIER_MODEL_PATH',
    default: '',
    description:
      'Alert-classifier ONNX model (model-meta.json must sit beside it). Empty: models/alert-classifier/model.onnx.',
  },
  {
    env: 'PLAYBOOKS_DIR',
    default: 'playbooks',
    description: 'Directory of remediation playbooks (*.yaml, *.yml, *.json); all are validated at start.',
  },
  {
    env: 'REMEDIATION_AUTO_HEAL',
    default: 'true',
    description:
      'false: incidents are detected, triaged and escalated, but no playbook runs (an alert can opt out alone with the label dharma_autoheal="false").',
  },
  {
    env: 'CLASSIFIER_MIN_CONFIDENCE',
    default: '0.6',
    description:
      'Least alert-classifier confidence (0..1) that may pick a playbook when no rule matches; below it, escalate.',
  },
  {
    env: 'METRIC_ANOMALY_MODEL_PATH',
    default: '',
    description:
      'Metric-anomaly ONNX model (model-meta.json must sit beside it). Empty: models/metric-anomaly/model.onnx.',
  },
  {
    env: 'RISK_MEDIUM_THRESHOLD',
    default: '0.10',
    description: 'Change-risk score (incident probability) from which a change is medium risk.',
  },
  {
    env: 'RISK_HIGH_THRESHOLD',
    default: '0.35',
    description: 'Change-risk score from which a change is high risk.',
  },
  {
    env: 'DEPLOY_APPROVAL_ENVIRONMENTS',
    default: 'production',
    description:
      'Comma-separated environments whose deployments always wait for an approval (others may auto-approve).',
  },
  {
    env: 'DRIFT_INTERVAL',
    default: '6h',
    description: "How often a deployed stack's drift check runs when its blueprint sets no drift.interval.",
  },
  {
    env: 'HEALTHCHECK_SQL_URL',
    default: '',
    description:
      'PostgreSQL server that blueprint sql health checks query (their database replaces the path). Empty: DATABASE_URL.',
  },
  {
    env: 'REMEDIATION_LOG_DIRS',
    default: '',
    description:
      'Comma-separated directories (and their subdirectories) whose logs the rotateLogs remediation may rotate. Empty: it refuses every directory.',
  },
  {
    env: 'REMEDIATION_COMMANDS',
    default: '',
    description:
      'JSON map name -> argv (no shell) of the processes restartSupervisedProcess may start, e.g. {"api":["node","api.js"]}. Empty: it only stops processes.',
  },
  {
    env: 'REMEDIATION_RUN_DIR',
    default: '',
    description:
      'Where restartSupervisedProcess keeps <name>.pid and <name>.log of the processes it supervises by name. Empty: DHARMA_HOME/run.',
  },
  {
    env: 'PROMETHEUS_URL',
    default: '',
    description:
      'Prometheus server (base URL, e.g. http://prometheus:9090) whose HTTP API the playbook prometheus and metric-normal probes query. Empty: those probes fail without retrying.',
  },
  {
    env: 'AWS_REGION',
    default: 'us-east-1',
    description:
      'AWS region of the AWS remediation actions when a playbook step names none. Credentials come from the AWS SDK default chain (environment, profile, SSO, instance role).',
  },
  {
    env: 'AWS_ENDPOINT_URL',
    default: '',
    description:
      'Endpoint every AWS client of the cloud pool talks to (e.g. a moto server in tests). Empty: the real AWS endpoints of the region.',
  },
  { env: 'LOG_LEVEL', default: 'info', description: 'Log level: trace, debug, info, warn, error.' },
  {
    env: 'LOG_FORMAT',
    default: 'pretty',
    description: 'Log format for `dharma up`: pretty or json (production).',
  },
] as const satisfies readonly SettingSpec[];

export type SettingName = (typeof SETTINGS)[number]['env'];
export type Env = Readonly<Record<string, string | undefined>>;

export function setting(name: SettingName, env: Env = process.env): string {
  const value = env[name];
  if (value !== undefined && value !== '') return value;
  const spec = SETTINGS.find((s) => s.env === name);
  return spec ? spec.default : '';
}

export function intSetting(name: SettingName, env: Env = process.env): number {
  const raw = setting(name, env);
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new ConfigError(name, `a non-negative integer`, raw);
  }
  return value;
}

export function boolSetting(name: SettingName, env: Env = process.env): boolean {
  const raw = setting(name, env).toLowerCase();
  if (['true', '1', 'yes'].includes(raw)) return true;
  if (['false', '0', 'no', ''].includes(raw)) return false;
  throw new ConfigError(name, 'true or false', raw);
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Parses durations such as `30s`, `15m`, `24h` into milliseconds. */
export function parseDuration(raw: string): number | undefined {
  const match = DURATION.exec(raw.trim());
  if (!match) return undefined;
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

export function durationSetting(name: SettingName, env: Env = process.env): number {
  const raw = setting(name, env);
  const ms = parseDuration(raw);
  if (ms === undefined) throw new ConfigError(name, 'a duration such as 30s, 15m, 24h', raw);
  return ms;
}

export function dharmaHome(env: Env = process.env): string {
  return path.resolve(setting('DHARMA_HOME', env));
}

export function toolsDir(env: Env = process.env): string {
  return path.resolve(setting('DHARMA_TOOLS_DIR', env));
}

/** Embedded mode: no external Temporal / PostgreSQL configured, so Dharma starts its own. */
export function usesEmbeddedTemporal(env: Env = process.env): boolean {
  return setting('TEMPORAL_ADDRESS', env) === '';
}

export function usesEmbeddedDatabase(env: Env = process.env): boolean {
  return setting('DATABASE_URL', env) === '';
}
