import type { PriceTable } from '../price-table.js';

const EC2_LINUX_HOURLY = {
  't3.nano': 0.0052,
  't3.micro': 0.0104,
  't3.small': 0.0208,
  't3.medium': 0.0416,
  't3.large': 0.0832,
  't3.xlarge': 0.1664,
  't3.2xlarge': 0.3328,
  't3a.micro': 0.0094,
  't3a.small': 0.0188,
  't3a.medium': 0.0376,
  't3a.large': 0.0752,
  't2.micro': 0.0116,
  't2.small': 0.023,
  't2.medium': 0.0464,
  'm5.large': 0.096,
  'm5.xlarge': 0.192,
  'm5.2xlarge': 0.384,
  'm5.4xlarge': 0.768,
  'm6i.large': 0.096,
  'm6i.xlarge': 0.192,
  'm6i.2xlarge': 0.384,
  'm7g.large': 0.0816,
  'm7g.xlarge': 0.1632,
  'c5.large': 0.085,
  'c5.xlarge': 0.17,
  'c5.2xlarge': 0.34,
  'c6i.large': 0.085,
  'c6i.xlarge': 0.17,
  'r5.large': 0.126,
  'r5.xlarge': 0.252,
  'r5.2xlarge': 0.504,
  'r6i.large': 0.126,
  'r6i.xlarge': 0.252,
};

const RDS_POSTGRES_HOURLY = {
  'db.t3.micro': 0.018,
  'db.t3.small': 0.036,
  'db.t3.medium': 0.072,
  'db.t3.large': 0.145,
  'db.t4g.micro': 0.016,
  'db.t4g.small': 0.032,
  'db.t4g.medium': 0.065,
  'db.m5.large': 0.178,
  'db.m5.xlarge': 0.356,
  'db.m5.2xlarge': 0.712,
  'db.m6g.large': 0.159,
  'db.r5.large': 0.25,
  'db.r5.xlarge': 0.5,
  'db.r6g.large': 0.225,
};

const ELASTICACHE_HOURLY = {
  'cache.t3.micro': 0.017,
  'cache.t3.small': 0.034,
  'cache.t3.medium': 0.068,
  'cache.m5.large': 0.156,
  'cache.r5.large': 0.216,
  'cache.r6g.large': 0.206,
};

const EBS_GB_MONTH = { gp3: 0.08, gp2: 0.1, io1: 0.125, io2: 0.125, st1: 0.045, sc1: 0.015, standard: 0.05 };
const RDS_STORAGE_GB_MONTH = { gp2: 0.115, gp3: 0.115, io1: 0.125, io2: 0.125, standard: 0.1 };

const LOAD_BALANCER = {
  components: [
    {
      name: 'load balancer hours',
      unit: 'hour',
      rateBy: {
        attribute: 'load_balancer_type',
        rates: { application: 0.0225, network: 0.0225, gateway: 0.0125 },
        default: 'application',
      },
    },
  ],
  note: '+ LCU usage (not estimated)',
} as const;

/** AWS on-demand prices, us-east-1. */
export const PRICES_2025_06_01: PriceTable = {
  version: '2025-06-01',
  source:
    'AWS public on-demand pricing pages for us-east-1 (EC2 Linux shared tenancy, EBS, RDS for PostgreSQL ' +
    'single-AZ, ElastiCache, Elastic Load Balancing, VPC), transcribed by hand; matches the worked ' +
    'examples of the domain reference section 3 (t3.medium $0.0416/h, gp3 $0.08/GB-month, ALB $0.0225/h)',
  retrievedOn: '2025-06-01',
  region: 'us-east-1',
  currency: 'USD',
  hoursPerMonth: 730,
  reservedSuggestionAbove: 100,
  reservedSaving: 0.3,
  resources: {
    aws_instance: {
      components: [
        {
          name: 'compute',
          unit: 'hour',
          rateBy: { attribute: 'instance_type', rates: EC2_LINUX_HOURLY },
          reservable: true,
        },
      ],
      note: 'root volume not included (price it as aws_ebs_volume)',
    },
    aws_ebs_volume: {
      components: [
        {
          name: 'storage',
          unit: 'month',
          rateBy: { attribute: 'type', rates: EBS_GB_MONTH, default: 'gp2' },
          quantityAttribute: 'size',
        },
      ],
      note: 'provisioned IOPS and throughput above the baseline not included',
    },
    aws_db_instance: {
      components: [
        {
          name: 'database instance',
          unit: 'hour',
          rateBy: { attribute: 'instance_class', rates: RDS_POSTGRES_HOURLY },
          multiplier: { attribute: 'multi_az', equals: true, factor: 2 },
          reservable: true,
        },
        {
          name: 'database storage',
          unit: 'month',
          rateBy: { attribute: 'storage_type', rates: RDS_STORAGE_GB_MONTH, default: 'gp2' },
          quantityAttribute: 'allocated_storage',
          multiplier: { attribute: 'multi_az', equals: true, factor: 2 },
        },
      ],
      note: 'PostgreSQL/MySQL instance rates; backups beyond the free allowance not included',
    },
    aws_elasticache_cluster: {
      components: [
        {
          name: 'cache nodes',
          unit: 'hour',
          rateBy: { attribute: 'node_type', rates: ELASTICACHE_HOURLY },
          quantityAttribute: 'num_cache_nodes',
          defaultQuantity: 1,
          reservable: true,
        },
      ],
    },
    aws_lb: LOAD_BALANCER,
    aws_alb: LOAD_BALANCER,
    aws_nat_gateway: {
      components: [{ name: 'NAT gateway hours', unit: 'hour', rate: 0.045 }],
      note: '+ $0.045 per GB processed (not estimated)',
    },
    aws_eip: { components: [{ name: 'public IPv4 address', unit: 'hour', rate: 0.005 }] },
    aws_eks_cluster: { components: [{ name: 'control plane', unit: 'hour', rate: 0.1 }] },
    aws_kms_key: { components: [{ name: 'key', unit: 'month', rate: 1 }], note: '+ requests' },
    aws_secretsmanager_secret: {
      components: [{ name: 'secret', unit: 'month', rate: 0.4 }],
      note: '+ API calls',
    },
    aws_route53_zone: { components: [{ name: 'hosted zone', unit: 'month', rate: 0.5 }], note: '+ queries' },
    aws_cloudwatch_metric_alarm: { components: [{ name: 'alarm', unit: 'month', rate: 0.1 }] },
  },
  usageBased: {
    aws_s3_bucket: 'S3: $0.023 per GB-month stored + requests',
    aws_lambda_function: 'Lambda: requests and GB-seconds',
    aws_sqs_queue: 'SQS: requests',
    aws_sns_topic: 'SNS: requests and deliveries',
    aws_dynamodb_table: 'DynamoDB: on-demand requests + storage',
    aws_cloudwatch_log_group: 'CloudWatch Logs: ingestion + storage',
    aws_efs_file_system: 'EFS: GB-month stored',
    aws_ecr_repository: 'ECR: GB-month stored',
  },
  free: [
    'aws_vpc',
    'aws_subnet',
    'aws_security_group',
    'aws_security_group_rule',
    'aws_vpc_security_group_ingress_rule',
    'aws_vpc_security_group_egress_rule',
    'aws_route_table',
    'aws_route',
    'aws_route_table_association',
    'aws_internet_gateway',
    'aws_db_subnet_group',
    'aws_db_parameter_group',
    'aws_elasticache_subnet_group',
    'aws_lb_target_group',
    'aws_lb_target_group_attachment',
    'aws_lb_listener',
    'aws_launch_template',
    'aws_key_pair',
    'aws_iam_role',
    'aws_iam_policy',
    'aws_iam_role_policy',
    'aws_iam_role_policy_attachment',
    'aws_iam_instance_profile',
    'aws_iam_user',
    'aws_kms_alias',
    'aws_s3_bucket_server_side_encryption_configuration',
    'aws_s3_bucket_versioning',
    'aws_s3_bucket_public_access_block',
    'aws_s3_bucket_policy',
    'aws_s3_bucket_lifecycle_configuration',
    'aws_autoscaling_policy',
  ],
  // Dharma's own provider (PostgreSQL roles and databases, files, random strings) and the built-in
  // terraform_data create nothing a cloud bills for: explicit $0, never "unpriced".
  localPrefixes: ['dharma_', 'terraform_data', 'postgresql_', 'random_', 'null_', 'local_', 'time_', 'tls_'],
};
