package dharma.terraform_test

import data.dharma.terraform

# One resource change as `tofu show -json` writes it.
change(type, name, actions, before, after) := {
	"address": sprintf("%s.%s", [type, name]),
	"mode": "managed",
	"type": type,
	"name": name,
	"change": {"actions": actions, "before": before, "after": after},
}

create(type, name, after) := change(type, name, ["create"], null, after)

plan_input(environment, changes) := {"environment": environment, "plan": {"resource_changes": changes}}

all_tags := {"Environment": "dev", "Owner": "team-a", "Cost Center": "cc-1"}

rules_of(violations) := {v.rule | some v in violations}

# --- s3_encryption ---------------------------------------------------------------------------

test_s3_bucket_without_encryption_is_denied if {
	bucket := create("aws_s3_bucket", "logs", {"bucket": "logs", "tags": all_tags})
	denies := terraform.deny with input as plan_input("dev", [bucket])
	denies == {{
		"rule": "s3_encryption",
		"address": "aws_s3_bucket.logs",
		"message": "S3 bucket 'aws_s3_bucket.logs' must have server-side encryption enabled",
	}}
}

test_s3_bucket_with_inline_encryption_is_allowed if {
	bucket := create("aws_s3_bucket", "logs", {
		"bucket": "logs", "tags": all_tags,
		"server_side_encryption_configuration": [{"rule": [{"apply_server_side_encryption_by_default": [{"sse_algorithm": "aws:kms"}]}]}],
	})
	count(terraform.deny) == 0 with input as plan_input("dev", [bucket])
}

test_s3_bucket_with_encryption_resource_matched_by_name_is_allowed if {
	bucket := create("aws_s3_bucket", "logs", {"bucket": "logs", "tags": all_tags})
	sse := create("aws_s3_bucket_server_side_encryption_configuration", "logs", {"bucket": "logs"})
	count(terraform.deny) == 0 with input as plan_input("dev", [bucket, sse])
}

test_s3_bucket_with_encryption_resource_matched_by_reference_is_allowed if {
	bucket := create("aws_s3_bucket", "logs", {"bucket_prefix": "logs-", "tags": all_tags})
	sse := create("aws_s3_bucket_server_side_encryption_configuration", "logs", {})
	configuration := {"root_module": {"resources": [{
		"address": "aws_s3_bucket_server_side_encryption_configuration.logs",
		"type": "aws_s3_bucket_server_side_encryption_configuration",
		"expressions": {"bucket": {"references": ["aws_s3_bucket.logs.id", "aws_s3_bucket.logs"]}},
	}]}}
	in_plan := {"environment": "dev", "plan": {"resource_changes": [bucket, sse], "configuration": configuration}}
	count(terraform.deny) == 0 with input as in_plan
}

# The configuration lists every block: one the plan does not create (count = 0) or deletes encrypts nothing.
sse_configured_for_logs := {"root_module": {"resources": [{
	"address": "aws_s3_bucket_server_side_encryption_configuration.logs",
	"type": "aws_s3_bucket_server_side_encryption_configuration",
	"name": "logs",
	"expressions": {"bucket": {"references": ["aws_s3_bucket.logs.id", "aws_s3_bucket.logs"]}},
}]}}

test_s3_encryption_resource_with_count_zero_does_not_count if {
	bucket := create("aws_s3_bucket", "logs", {"bucket_prefix": "logs-", "tags": all_tags})
	in_plan := {"environment": "dev", "plan": {"resource_changes": [bucket], "configuration": sse_configured_for_logs}}
	rules_of(terraform.deny) == {"s3_encryption"} with input as in_plan
}

test_s3_encryption_resource_the_plan_deletes_does_not_count if {
	bucket := create("aws_s3_bucket", "logs", {"bucket_prefix": "logs-", "tags": all_tags})
	sse := change("aws_s3_bucket_server_side_encryption_configuration", "logs", ["delete"], {"bucket": "logs"}, null)
	changes := [bucket, sse]
	in_plan := {"environment": "dev", "plan": {"resource_changes": changes, "configuration": sse_configured_for_logs}}
	rules_of(terraform.deny) == {"s3_encryption"} with input as in_plan
}

test_s3_encryption_of_another_bucket_does_not_count if {
	bucket := create("aws_s3_bucket", "logs", {"bucket": "logs", "tags": all_tags})
	sse := create("aws_s3_bucket_server_side_encryption_configuration", "other", {"bucket": "other"})
	rules_of(terraform.deny) == {"s3_encryption"} with input as plan_input("dev", [bucket, sse])
}

test_deleted_s3_bucket_is_not_checked_for_encryption if {
	bucket := change("aws_s3_bucket", "logs", ["delete"], {"bucket": "logs", "tags": all_tags}, null)
	count(terraform.deny) == 0 with input as plan_input("dev", [bucket])
}

# --- rds_public_access -----------------------------------------------------------------------

test_public_rds_instance_is_denied if {
	db := create("aws_db_instance", "main", {"publicly_accessible": true})
	denies := terraform.deny with input as plan_input("dev", [db])
	denies == {{
		"rule": "rds_public_access",
		"address": "aws_db_instance.main",
		"message": "RDS instance 'aws_db_instance.main' must not be publicly accessible",
	}}
}

test_private_rds_instance_is_allowed if {
	db := create("aws_db_instance", "main", {"publicly_accessible": false})
	count(terraform.deny) == 0 with input as plan_input("dev", [db])
}

rds_public_unknown := {
	"address": "aws_db_instance.main",
	"mode": "managed",
	"type": "aws_db_instance",
	"name": "main",
	"change": {"actions": ["create"], "before": null, "after": {}, "after_unknown": {"publicly_accessible": true}},
}

test_rds_public_access_known_only_after_apply_is_denied_in_production if {
	rules_of(terraform.deny) == {"rds_public_access"} with input as plan_input("production", [rds_public_unknown])
}

test_rds_public_access_known_only_after_apply_warns_elsewhere if {
	count(terraform.deny) == 0 with input as plan_input("dev", [rds_public_unknown])
	"rds_public_access" in rules_of(terraform.warn) with input as plan_input("dev", [rds_public_unknown])
}

test_rds_update_to_public_is_denied if {
	db := change("aws_db_instance", "main", ["update"], {"publicly_accessible": false}, {"publicly_accessible": true})
	rules_of(terraform.deny) == {"rds_public_access"} with input as plan_input("dev", [db])
}

# --- required_tags ---------------------------------------------------------------------------

test_each_tagged_kind_without_tags_warns if {
	changes := [create(kind, "x", {}) | some kind in ["aws_instance", "aws_rds_cluster", "aws_vpc"]]
	warnings := terraform.warn with input as plan_input("dev", changes)
	warnings == {{
		"rule": "required_tags",
		"address": address,
		"message": sprintf("Resource '%s' is missing required tags: Environment, Owner, Cost Center", [address]),
	} |
		some kind in ["aws_instance", "aws_rds_cluster", "aws_vpc"]
		address := sprintf("%s.x", [kind])
	}
}

test_one_missing_tag_warns if {
	vpc := create("aws_vpc", "main", {"tags": {"Environment": "dev", "Owner": "team-a"}})
	rules_of(terraform.warn) == {"required_tags"} with input as plan_input("dev", [vpc])
}

test_all_tags_present_does_not_warn if {
	vpc := create("aws_vpc", "main", {"tags": all_tags})
	count(terraform.warn) == 0 with input as plan_input("dev", [vpc])
}

test_default_tags_in_tags_all_count if {
	vpc := create("aws_vpc", "main", {"tags": {"Owner": "team-a"}, "tags_all": all_tags})
	count(terraform.warn) == 0 with input as plan_input("dev", [vpc])
}

test_untagged_kinds_outside_the_list_do_not_warn if {
	subnet := create("aws_subnet", "a", {})
	count(terraform.warn) == 0 with input as plan_input("dev", [subnet])
}

test_missing_tags_only_warn_and_never_deny if {
	instance := create("aws_instance", "web", {"tags": null})
	count(terraform.deny) == 0 with input as plan_input("production", [instance])
	count(terraform.warn) == 1 with input as plan_input("production", [instance])
}

# --- open_ingress ----------------------------------------------------------------------------

sg_block(from, to, protocol, cidrs) := {
	"from_port": from, "to_port": to, "protocol": protocol,
	"cidr_blocks": cidrs, "ipv6_cidr_blocks": [],
}

test_inline_ssh_from_anywhere_is_denied if {
	sg := create("aws_security_group", "web", {"ingress": [sg_block(22, 22, "tcp", ["0.0.0.0/0"])]})
	denies := terraform.deny with input as plan_input("dev", [sg])
	denies == {{
		"rule": "open_ingress",
		"address": "aws_security_group.web",
		"message": "Security group rule 'aws_security_group.web' must not allow ingress from 0.0.0.0/0 on port 22",
	}}
}

test_inline_port_range_covering_rdp_is_denied if {
	sg := create("aws_security_group", "win", {"ingress": [sg_block(3000, 4000, "tcp", ["10.0.0.0/8", "0.0.0.0/0"])]})
	{v.message | some v in terraform.deny} == {"Security group rule 'aws_security_group.win' must not allow ingress from 0.0.0.0/0 on port 3389"} with input as plan_input("dev", [sg])
}

test_all_protocols_from_anywhere_denies_both_ports if {
	sg := create("aws_security_group", "any", {"ingress": [sg_block(0, 0, "-1", ["0.0.0.0/0"])]})
	count(terraform.deny) == 2 with input as plan_input("dev", [sg])
}

test_ipv6_anywhere_is_denied if {
	block := object.union(sg_block(22, 22, "tcp", []), {"ipv6_cidr_blocks": ["::/0"]})
	sg := create("aws_security_group", "v6", {"ingress": [block]})
	rules_of(terraform.deny) == {"open_ingress"} with input as plan_input("dev", [sg])
}

test_https_from_anywhere_and_ssh_from_private_range_are_allowed if {
	sg := create("aws_security_group", "web", {"ingress": [
		sg_block(443, 443, "tcp", ["0.0.0.0/0"]),
		sg_block(22, 22, "tcp", ["10.0.0.0/8"]),
		sg_block(-1, -1, "icmp", ["0.0.0.0/0"]),
	]})
	count(terraform.deny) == 0 with input as plan_input("dev", [sg])
}

test_security_group_rule_resource_is_checked if {
	rule := create("aws_security_group_rule", "ssh", {
		"type": "ingress", "from_port": 22, "to_port": 22, "protocol": "tcp",
		"cidr_blocks": ["0.0.0.0/0"],
	})
	rules_of(terraform.deny) == {"open_ingress"} with input as plan_input("dev", [rule])
}

test_egress_security_group_rule_is_allowed if {
	rule := create("aws_security_group_rule", "out", {
		"type": "egress", "from_port": 22, "to_port": 22, "protocol": "tcp",
		"cidr_blocks": ["0.0.0.0/0"],
	})
	count(terraform.deny) == 0 with input as plan_input("dev", [rule])
}

test_vpc_ingress_rule_resource_is_checked if {
	rule := create("aws_vpc_security_group_ingress_rule", "rdp", {
		"cidr_ipv4": "0.0.0.0/0", "from_port": 3389, "to_port": 3389, "ip_protocol": "tcp",
	})
	{v.message | some v in terraform.deny} == {"Security group rule 'aws_vpc_security_group_ingress_rule.rdp' must not allow ingress from 0.0.0.0/0 on port 3389"} with input as plan_input("dev", [rule])
}

test_vpc_ingress_rule_for_all_protocols_is_denied if {
	rule := create("aws_vpc_security_group_ingress_rule", "all", {"cidr_ipv4": "0.0.0.0/0", "ip_protocol": "-1"})
	count(terraform.deny) == 2 with input as plan_input("dev", [rule])
}

test_vpc_ingress_rule_from_a_private_range_is_allowed if {
	rule := create("aws_vpc_security_group_ingress_rule", "ssh", {
		"cidr_ipv4": "192.168.0.0/16", "from_port": 22, "to_port": 22, "ip_protocol": "tcp",
	})
	count(terraform.deny) == 0 with input as plan_input("dev", [rule])
}

# --- protected_destroy -----------------------------------------------------------------------

protected_db := {"publicly_accessible": false, "tags": {"protected": "true"}}

test_destroying_protected_resource_in_production_is_denied if {
	db := change("aws_db_instance", "main", ["delete"], protected_db, null)
	denies := terraform.deny with input as plan_input("production", [db])
	denies == {{
		"rule": "protected_destroy",
		"address": "aws_db_instance.main",
		"message": "Resource 'aws_db_instance.main' is tagged protected and must not be destroyed in production",
	}}
}

test_replacing_protected_resource_in_production_is_denied if {
	db := change("aws_db_instance", "main", ["delete", "create"], protected_db, protected_db)
	rules_of(terraform.deny) == {"protected_destroy"} with input as plan_input("production", [db])
}

test_protected_tag_matches_any_case_and_tags_all if {
	vpc := change("aws_vpc", "main", ["delete"], {"tags": {}, "tags_all": {"Protected": "yes"}}, null)
	rules_of(terraform.deny) == {"protected_destroy"} with input as plan_input("production", [vpc])
}

test_destroying_protected_resource_outside_production_is_allowed if {
	db := change("aws_db_instance", "main", ["delete"], protected_db, null)
	count(terraform.deny) == 0 with input as plan_input("staging", [db])
}

test_protected_tag_set_to_false_allows_destroy if {
	db := change("aws_db_instance", "main", ["delete"], {"tags": {"protected": "false"}}, null)
	count(terraform.deny) == 0 with input as plan_input("production", [db])
}

test_updating_protected_resource_in_production_is_allowed if {
	db := change("aws_db_instance", "main", ["update"], protected_db, protected_db)
	count(terraform.deny) == 0 with input as plan_input("production", [db])
}

test_data_sources_are_ignored if {
	data_source := object.union(create("aws_s3_bucket", "existing", {}), {"mode": "data", "address": "data.aws_s3_bucket.existing"})
	count(terraform.deny) == 0 with input as plan_input("dev", [data_source])
	count(terraform.warn) == 0 with input as plan_input("dev", [data_source])
}

test_empty_plan_has_no_violations if {
	count(terraform.deny) == 0 with input as plan_input("production", [])
	count(terraform.warn) == 0 with input as plan_input("production", [])
}

test_protected_tag_with_boolean_false_allows_destroy if {
	db := change("aws_db_instance", "main", ["delete"], {"tags": {"protected": false}}, null)
	count(terraform.deny) == 0 with input as plan_input("production", [db])
}

test_numeric_protocol_is_checked_by_port if {
	open := create("aws_security_group_rule", "tcp6", {
		"type": "ingress", "from_port": 22, "to_port": 22, "protocol": 6,
		"cidr_blocks": ["0.0.0.0/0"],
	})
	icmp := create("aws_security_group_rule", "icmp", {
		"type": "ingress", "from_port": 0, "to_port": 65535, "protocol": 1,
		"cidr_blocks": ["0.0.0.0/0"],
	})
	{v.address | some v in terraform.deny} == {"aws_security_group_rule.tcp6"} with input as plan_input("dev", [open, icmp])
}

test_violations_holds_both_rule_sets if {
	db := create("aws_db_instance", "main", {"publicly_accessible": true})
	vpc := create("aws_vpc", "main", {})
	result := terraform.violations with input as plan_input("dev", [db, vpc])
	rules_of(result.deny) == {"rds_public_access"}
	rules_of(result.warn) == {"required_tags"}
}
