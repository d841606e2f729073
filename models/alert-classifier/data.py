"""Synthetic alerts with their root cause, for the alert classifier.

Dharma has no labelled incident history yet, so alerts are generated from templates modelled on the
alerting rules people actually run (kube-prometheus / node-exporter / postgres-exporter / blackbox-exporter
mixins and Grafana-managed rules). For each cause there are several alert names, summaries with slots
(service, host, value, duration) and label sets; the generator then adds variation and noise:

- vocabulary variation: synonyms ("memory"/"RAM"/"heap"/"RSS"), name styles (CamelCase, snake_case, spaced
  Grafana titles), optional description sentences;
- generic alert names ("ServiceDegraded", "HighErrorRate") whose cause shows only in the summary, so the
  model must read the text, not just memorise names;
- shared context labels (job, namespace, cluster, region, team, severity) that say nothing about the cause;
- word dropout (10% of summary words), and 3% of labels replaced by a random other cause (annotator error).

UNKNOWN covers alerts with no identifiable root cause (watchdog, latency/error-rate alerts without a
telling summary, probe failures). Classes are balanced except UNKNOWN (20%).
"""

from __future__ import annotations

import re

import numpy as np

CLASSES = [
    "MEMORY_LEAK",
    "DISK_FULL",
    "CONNECTION_EXHAUSTION",
    "CPU_SATURATION",
    "CERT_EXPIRY",
    "BAD_DEPLOY",
    "UNKNOWN",
]
LABEL_NOISE = 0.03
WORD_DROPOUT = 0.10

SERVICES = ["checkout", "payments", "api-gateway", "orders", "search", "auth", "billing", "inventory",
            "notifications", "catalog", "ledger", "reporting", "frontend", "worker"]
HOSTS = ["ip-10-0-1-23", "node-7", "db-primary", "web-03", "k8s-worker-12", "edge-2", "batch-01", "pg-replica-1"]
NAMESPACES = ["prod", "staging", "default", "platform", "data", "web"]
CLUSTERS = ["eu-west-1", "us-east-1", "ap-south-1", "on-prem"]
TEAMS = ["sre", "platform", "payments", "data", "web"]
SEVERITIES = ["critical", "warning", "page", "info", "P1", "P2", "P3"]

# Per cause: alert names, summary templates and cause-specific label sets.
TEMPLATES: dict[str, dict[str, list]] = {
    "MEMORY_LEAK": {
        "names": ["ContainerMemoryUsageHigh", "KubePodOOMKilled", "HostOutOfMemory", "MemoryLeakSuspected",
                  "JvmHeapUsageHigh", "ProcessResidentMemoryGrowing", "container_memory_working_set_high",
                  "Memory usage above limit", "NodeMemoryPressure", "GoMemstatsHeapGrowing"],
        "summaries": [
            "{svc} {mem} usage is {pct}% of the limit and growing for {dur}",
            "{svc} container was OOMKilled {n} times in the last hour",
            "{mem} of {svc} keeps increasing steadily since {dur}, possible leak",
            "Node {host} is running out of memory ({pct}% used)",
            "{svc} heap after GC grows {n} MiB per hour",
            "Pod {svc}-{n} restarted after out of memory kill",
            "{mem} working set of {svc} reached {pct}% of requests",
        ],
        "labels": [{"container": "{svc}", "resource": "memory"}, {"reason": "OOMKilled"},
                   {"metric": "container_memory_working_set_bytes"}, {"area": "heap"}, {}],
        "words": {"mem": ["memory", "RAM", "heap", "RSS", "resident memory", "working set memory"]},
    },
    "DISK_FULL": {
        "names": ["NodeFilesystemSpaceFillingUp", "NodeFilesystemAlmostOutOfSpace", "HostOutOfDiskSpace",
                  "KubePersistentVolumeFillingUp", "DiskUsageCritical", "disk_space_low",
                  "Disk almost full", "PostgresWalVolumeFull", "LogPartitionFull", "InodesExhausted"],
        "summaries": [
            "Filesystem {mount} on {host} has only {rest}% {space} left",
            "{disk} usage on {host} is {pct}% and will fill up within {dur}",
            "Persistent volume claim data-{svc}-0 is {pct}% full",
            "No space left on device writing to {mount}",
            "{host} {mount} predicted to run out of {space} in {dur}",
            "Log directory {mount} grew to {pct}% of the {disk}",
            "Inodes on {mount} are {pct}% used on {host}",
        ],
        "labels": [{"device": "/dev/nvme0n1p1", "mountpoint": "{mount}", "fstype": "ext4"},
                   {"persistentvolumeclaim": "data-{svc}-0"}, {"mountpoint": "{mount}"}, {"fstype": "xfs"}, {}],
        "words": {"space": ["free space", "space", "capacity", "bytes"],
                  "disk": ["disk", "volume", "filesystem", "partition"],
                  "mount": ["/", "/var/log", "/data", "/var/lib/postgresql", "/tmp", "/srv"]},
    },
    "CONNECTION_EXHAUSTION": {
        "names": ["PostgresqlTooManyConnections", "PgBouncerPoolExhausted", "MysqlTooManyConnections",
                  "ConnectionPoolSaturated", "DatabaseConnectionsNearLimit", "pg_stat_activity_count_high",
                  "Too many DB connections", "RedisRejectedConnections", "HikariPoolTimeouts",
                  "MaxConnectionsReached"],
        "summaries": [
            "PostgreSQL instance {host} uses {pct}% of max_connections",
            "{svc} cannot acquire a {conn} from the pool: timeout after {n} ms",
            "{n} idle in transaction {conn}s held by {svc}",
            "Remaining connection slots are reserved for superuser on {host}",
            "{svc} {conn} pool is exhausted ({n} of {n} in use)",
            "Redis rejected {n} {conn}s on {host} in {dur}",
            "too many clients already: {svc} fails to open a {conn}",
        ],
        "labels": [{"datname": "{svc}", "state": "idle in transaction"}, {"pool": "{svc}-db"},
                   {"server": "{host}:5432"}, {"exporter": "postgres_exporter"}, {}],
        "words": {"conn": ["connection", "session", "client connection", "db connection", "socket"]},
    },
    "CPU_SATURATION": {
        "names": ["HostHighCpuLoad", "CPUThrottlingHigh", "NodeCPUSaturated", "ContainerCpuUsageHigh",
                  "KubeCPUOvercommit", "cpu_usage_high", "High CPU on host", "LoadAverageHigh",
                  "ProcessCpuPegged", "NodeLoad15High"],
        "summaries": [
            "CPU usage on {host} is above {pct}% for {dur}",
            "{svc} is throttled {pct}% of the time by its {cpu} limit",
            "Load average on {host} is {n} with {n} cores",
            "{svc} {cpu} saturated, run queue length {n}",
            "{cpu} steal and iowait high on {host} ({pct}%)",
            "Container {svc} uses {pct}% of its {cpu} quota",
            "{svc} event loop lag due to busy {cpu} for {dur}",
        ],
        "labels": [{"container": "{svc}", "resource": "cpu"}, {"cpu": "total", "mode": "user"},
                   {"metric": "node_load15"}, {"metric": "container_cpu_cfs_throttled_seconds_total"}, {}],
        "words": {"cpu": ["CPU", "processor", "cpu", "compute", "cores"]},
    },
    "CERT_EXPIRY": {
        "names": ["SSLCertExpiringSoon", "BlackboxSslCertificateWillExpireSoon", "CertManagerCertExpirySoon",
                  "TLSCertificateExpiry", "X509CertificateExpiring", "ssl_cert_expiry", "Certificate expires soon",
                  "KubeClientCertificateExpiration", "IngressCertNotRenewed", "TlsHandshakeFailures"],
        "summaries": [
            "{cert} for {svc}.example.com expires in {n} days",
            "{cert} of {host} expires on 2026-12-{day}",
            "cert-manager failed to renew {cert} {svc}-tls",
            "TLS handshake fails for {svc}: {cert} has expired",
            "x509: certificate has expired or is not yet valid for {svc}",
            "{cert} chain of {svc} ingress valid for only {n} more days",
            "Client {cert} used by {svc} expires in less than {dur}",
        ],
        "labels": [{"secret": "{svc}-tls", "issuer": "letsencrypt"}, {"probe": "https://{svc}.example.com"},
                   {"job": "blackbox", "module": "http_2xx"}, {"certificate": "{svc}-tls"}, {}],
        "words": {"cert": ["certificate", "TLS certificate", "SSL cert", "x509 certificate", "cert"]},
    },
    "BAD_DEPLOY": {
        "names": ["DeploymentErrorRateSpike", "KubeDeploymentRolloutStuck", "KubePodCrashLooping",
                  "ErrorBudgetBurnAfterRelease", "CanaryAnalysisFailed", "new_version_5xx_high",
                  "Errors after deploy", "KubeDeploymentReplicasMismatch", "ImagePullBackOff",
                  "ArgoCDAppDegraded"],
        "summaries": [
            "{svc} 5xx rate rose to {pct}% right after {release} v{ver}",
            "{release} of {svc} v{ver} is stuck: {n} pods in CrashLoopBackOff",
            "Canary {svc} v{ver} fails analysis, error rate {pct}%",
            "{svc} pods crash since {release} {dur} ago",
            "Deployment {svc} has {n} unavailable replicas after {release}",
            "Back-off pulling image registry/{svc}:{ver}",
            "Error budget burn for {svc} started with {release} v{ver}",
        ],
        "labels": [{"deployment": "{svc}", "version": "v{ver}"}, {"reason": "CrashLoopBackOff"},
                   {"image": "registry/{svc}:{ver}"}, {"rollout": "{svc}", "revision": "{n}"}, {}],
        "words": {"release": ["deploy", "deployment", "rollout", "release", "upgrade"]},
    },
    "UNKNOWN": {
        "names": ["Watchdog", "TargetDown", "HighLatency", "ServiceDegraded", "HighErrorRate", "ProbeFailed",
                  "InfoInhibitor", "SLOBurnRateHigh", "AlertmanagerClusterDown", "Anomaly detected"],
        "summaries": [
            "{svc} p99 latency above {n} ms for {dur}",
            "{pct}% of {svc} requests fail",
            "Endpoint {host} of job {svc} is down",
            "This alert is always firing to check the alerting pipeline",
            "{svc} probe failed from {n} locations",
            "SLO for {svc} burning {n}x faster than allowed",
            "Unusual traffic pattern for {svc}",
        ],
        "labels": [{"job": "{svc}"}, {"slo": "{svc}-availability"}, {"probe": "{host}"}, {}],
        "words": {},
    },
}
GENERIC_NAMES = ["ServiceDegraded", "HighErrorRate", "SLOBurnRateHigh", "Incident", "PagerAlert", "Alert"]
DESCRIPTIONS = ["See the runbook for details.", "Investigate immediately.", "Value: {n}.",
                "Started {dur} ago.", "Dashboard: https://grafana.example.com/d/{n}"]


def _pick(rng: np.random.Generator, items: list):
    return items[int(rng.integers(len(items)))]


def _fill(rng: np.random.Generator, template: str, words: dict[str, list[str]], svc: str, host: str) -> str:
    values = {
        "svc": svc,
        "host": host,
        "pct": str(int(rng.integers(70, 100))),
        "rest": str(int(rng.integers(1, 10))),
        "n": str(int(rng.integers(2, 500))),
        "dur": _pick(rng, ["5m", "15 minutes", "1h", "2 hours", "30m", "a day"]),
        "day": f"{int(rng.integers(1, 29)):02d}",
        "ver": f"{int(rng.integers(1, 9))}.{int(rng.integers(0, 30))}.{int(rng.integers(0, 10))}",
    }
    for slot, choices in words.items():
        values[slot] = _pick(rng, choices)
    return template.format(**values)


def _style(rng: np.random.Generator, name: str) -> str:
    # Alertmanager names are CamelCase; Grafana titles often spaced; some teams use snake_case.
    roll = rng.random()
    if roll < 0.15 and " " not in name:
        return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()
    return name


def generate(n: int, seed: int) -> tuple[list[dict], np.ndarray]:
    """`n` alerts ({alertName, summary, labels}) and their class indexes, reproducible from `seed`."""
    rng = np.random.default_rng(seed)
    weights = np.array([1.0] * 6 + [1.5])
    causes = rng.choice(len(CLASSES), size=n, p=weights / weights.sum())
    alerts, ys = [], []
    for cause in causes:
        name = CLASSES[cause]
        t = TEMPLATES[name]
        svc, host = _pick(rng, SERVICES), _pick(rng, HOSTS)
        alert_name = _pick(rng, GENERIC_NAMES) if rng.random() < 0.2 else _style(rng, _pick(rng, t["names"]))
        summary = _fill(rng, _pick(rng, t["summaries"]), t["words"], svc, host)
        words = summary.split(" ")
        summary = " ".join(w for w in words if rng.random() >= WORD_DROPOUT) or words[0]
        if rng.random() < 0.4:
            summary += " " + _fill(rng, _pick(rng, DESCRIPTIONS), {}, svc, host)
        labels = {"alertname": alert_name, "severity": _pick(rng, SEVERITIES)}
        for key, pool in [("namespace", NAMESPACES), ("cluster", CLUSTERS), ("team", TEAMS)]:
            if rng.random() < 0.6:
                labels[key] = _pick(rng, pool)
        if rng.random() < 0.5:
            labels["instance"] = f"{host}:{_pick(rng, ['9100', '9187', '8080', '443'])}"
        if rng.random() < 0.7:
            for key, value in _pick(rng, t["labels"]).items():
                labels[key] = _fill(rng, value, t["words"], svc, host)
        label = int(cause)
        if rng.random() < LABEL_NOISE:
            label = int(rng.integers(len(CLASSES)))
        alerts.append({"alertName": alert_name, "summary": summary, "labels": labels})
        ys.append(label)
    return alerts, np.array(ys, dtype=np.int64)
