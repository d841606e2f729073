/** Kind families the change-risk model counts changed resources by (features kind_*). */
export const RESOURCE_KINDS = ['database', 'network', 'compute', 'storage', 'iam', 'other'] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

// First match wins, so the more specific patterns come first (aws_s3_bucket_policy is iam, not storage;
// dharma_postgresql_role and _grant manage access, the rest of the PostgreSQL resources manage data).
const RULES: readonly [RegExp, ResourceKind][] = [
  [
    /^aws_(iam|kms|secretsmanager|acm|ssm_parameter|cognito|s3_bucket_policy$)|^(dharma_)?postgresql_(role|grant)/,
    'iam',
  ],
  [/^(google_project_iam|azurerm_role|google_service_account|azurerm_key_vault)/, 'iam'],
  [
    /^aws_(db_|rds_|dynamodb|elasticache|redshift|docdb|neptune|memorydb|opensearch)|^(dharma_)?postgresql_/,
    'database',
  ],
  [/^(google_sql|google_spanner|azurerm_(postgresql|mysql|mssql|cosmosdb))/, 'database'],
  [
    /^aws_(vpc|subnet|security_group|route|internet_gateway|nat_gateway|eip|lb|alb|elb|network|vpn|cloudfront|globalaccelerator|api_gateway|apigatewayv2)/,
    'network',
  ],
  [
    /^(google_compute_(network|subnetwork|firewall|router)|azurerm_(virtual_network|subnet|network|lb|dns))/,
    'network',
  ],
  [/^aws_(instance|launch_template|autoscaling|ecs_|eks_|lambda|batch|spot)|^kubernetes_/, 'compute'],
  [
    /^(google_compute_instance|google_container|google_cloud_run|azurerm_(linux|windows)_virtual_machine)/,
    'compute',
  ],
  [/^aws_(s3_|ebs_|efs_|fsx|backup|glacier)|^dharma_file$|^local_file$|^local_sensitive_file$/, 'storage'],
  [/^(google_storage|azurerm_storage|azurerm_managed_disk|google_compute_disk)/, 'storage'],
];

/** The kind family of a resource type such as `aws_db_instance` or `dharma_random_string`. */
export function resourceKind(type: string): ResourceKind {
  for (const [pattern, kind] of RULES) if (pattern.test(type)) return kind;
  return 'other';
}
