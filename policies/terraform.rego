# Guardrails evaluated on a Terraform/OpenTofu plan (`tofu show -json`) before anything is applied.
# Input: {"environment": "<env>", "plan": <plan JSON>}. Only `deny` blocks a deployment; `warn` is
# shown to the approver. Each violation is {rule, address, message} so callers can list every one.
#
# The same policy runs in-process as WebAssembly (lib/policy/evaluate.ts), which shapes two choices:
# - only builtins the wasm runtime implements natively (concat, format_int, lower, ...): builtins the
#   JavaScript host supplies, such as sprintf, cost a JSON round trip per call;
# - rules iterate over resource_changes and filter with functions instead of building sets of whole
#   resource objects, whose hashing dominates evaluation time in WebAssembly.
package dharma.terraform

# Both rule sets in one evaluation, so the (large) plan input is parsed once.
violations := {"deny": deny, "warn": warn}

# The plan creates or updates this resource (a replace is a delete plus a create).
changes(rc) if {
	rc.mode == "managed"
	some action in rc.change.actions
	action in {"create", "update"}
}

# The resource exists once the plan is applied: created, updated or kept as it is.
remains(rc) if {
	rc.mode == "managed"
	some action in rc.change.actions
	action in {"create", "update", "no-op"}
}

# The plan destroys this resource, including the destroy half of a replace.
destroys(rc) if {
	rc.mode == "managed"
	"delete" in rc.change.actions
}

# Tags known at plan time; `tags_all` adds provider default_tags when the provider resolved them
# (it is unknown, so absent, until then).
tags_of(values) := object.union(as_object(object.get(values, "tags_all", {})), as_object(object.get(values, "tags", {})))

as_object(x) := x if is_object(x)

else := {}

deny contains violation if {
	some rc in input.plan.resource_changes
	rc.type == "aws_s3_bucket"
	changes(rc)
	not bucket_encrypted(rc)
	violation := {
		"rule": "s3_encryption",
		"address": rc.address,
		"message": concat("", ["S3 bucket '", rc.address, "' must have server-side encryption enabled"]),
	}
}

deny contains violation if {
	some rc in input.plan.resource_changes
	rc.type == "aws_db_instance"
	changes(rc)
	rc.change.after.publicly_accessible == true
	violation := {
		"rule": "rds_public_access",
		"address": rc.address,
		"message": concat("", ["RDS instance '", rc.address, "' must not be publicly accessible"]),
	}
}

# Known only after apply, the setting could turn out true: not let through unseen. A deny in production,
# a warning elsewhere.
deny contains violation if {
	input.environment == "production"
	some rc in input.plan.resource_changes
	public_access_unknown(rc)
	violation := {
		"rule": "rds_public_access",
		"address": rc.address,
		"message": concat("", ["RDS instance '", rc.address, "' has publicly_accessible known only after apply; set it to false"]),
	}
}

warn contains violation if {
	input.environment != "production"
	some rc in input.plan.resource_changes
	public_access_unknown(rc)
	violation := {
		"rule": "rds_public_access",
		"address": rc.address,
		"message": concat("", ["RDS instance '", rc.address, "' has publicly_accessible known only after apply"]),
	}
}

public_access_unknown(rc) if {
	rc.type == "aws_db_instance"
	changes(rc)
	rc.change.after_unknown.publicly_accessible == true
}

deny contains violation if {
	input.environment == "production"
	some rc in input.plan.resource_changes
	destroys(rc)
	protected(rc.change.before)
	violation := {
		"rule": "protected_destroy",
		"address": rc.address,
		"message": concat("", ["Resource '", rc.address, "' is tagged protected and must not be destroyed in production"]),
	}
}

tagged_kinds := {"aws_instance", "aws_s3_bucket", "aws_rds_cluster", "aws_vpc"}

required_tags := {"Environment", "Owner", "Cost Center"}

warn contains violation if {
	some rc in input.plan.resource_changes
	rc.type in tagged_kinds
	changes(rc)
	tags := tags_of(rc.change.after)
	some required in required_tags
	not tags[required]
	violation := {
		"rule": "required_tags",
		"address": rc.address,
		"message": concat("", ["Resource '", rc.address, "' is missing required tags: Environment, Owner, Cost Center"]),
	}
}

# A protected tag counts whatever the case of its name, unless its value says it is off.
protected(values) if {
	some name, value in tags_of(values)
	lower(name) == "protected"
	not switched_off(value)
}

switched_off(value) if lower(value) in {"false", "no", "0"}

switched_off(false)

bucket_encrypted(rc) if {
	count(rc.change.after.server_side_encryption_configuration) > 0
}

# A separate aws_s3_bucket_server_side_encryption_configuration resource, matched by bucket name when
# known at plan time, or else by the configuration's reference to the bucket resource.
bucket_encrypted(rc) if rc.change.after.bucket in encrypted_bucket_names

bucket_encrypted(rc) if {
	some ref in {rc.address, concat("", [rc.address, ".id"]), concat("", [rc.address, ".bucket"])}
	ref in encrypted_bucket_references
}

sse_type := "aws_s3_bucket_server_side_encryption_configuration"

encrypted_bucket_names contains name if {
	some sse in input.plan.resource_changes
	sse.type == sse_type
	remains(sse)
	name := sse.change.after.bucket
	is_string(name)
}

# Only a configured encryption resource the plan leaves in place counts: the configuration also lists
# blocks with count = 0 and blocks the plan deletes.
encrypted_bucket_references contains ref if {
	some resource in input.plan.configuration.root_module.resources
	resource.type == sse_type
	remains_in_root(resource)
	some ref in resource.expressions.bucket.references
}

# An instance of the configured block (its address, or with a count/for_each index) that remains.
remains_in_root(resource) if {
	some rc in input.plan.resource_changes
	instance_of(rc.address, resource.address)
	remains(rc)
}

instance_of(address, block) if address == block

instance_of(address, block) if startswith(address, concat("", [block, "["]))
