# No ingress from the whole internet on SSH (22) or RDP (3389), in any of the three ways the AWS
# provider expresses a security group ingress rule.
package dharma.terraform

admin_ports := [22, 3389]

open_cidrs := {"0.0.0.0/0", "::/0"}

deny contains violation if {
	some rule in open_ingress
	violation := {
		"rule": "open_ingress",
		"address": rule.address,
		"message": concat("", [
			"Security group rule '", rule.address, "' must not allow ingress from ", rule.cidr,
			" on port ", format_int(rule.port, 10),
		]),
	}
}

# Inline ingress blocks of aws_security_group.
open_ingress contains {"address": rc.address, "cidr": cidr, "port": port} if {
	some rc in input.plan.resource_changes
	rc.type == "aws_security_group"
	changes(rc)
	some block in rc.change.after.ingress
	some cidr in cidrs(block, ["cidr_blocks", "ipv6_cidr_blocks"])
	some port in admin_ports
	covers(block.protocol, block.from_port, block.to_port, port)
}

open_ingress contains {"address": rc.address, "cidr": cidr, "port": port} if {
	some rc in input.plan.resource_changes
	rc.type == "aws_security_group_rule"
	changes(rc)
	rc.change.after.type == "ingress"
	some cidr in cidrs(rc.change.after, ["cidr_blocks", "ipv6_cidr_blocks"])
	some port in admin_ports
	covers(rc.change.after.protocol, rc.change.after.from_port, rc.change.after.to_port, port)
}

open_ingress contains {"address": rc.address, "cidr": cidr, "port": port} if {
	some rc in input.plan.resource_changes
	rc.type == "aws_vpc_security_group_ingress_rule"
	changes(rc)
	some cidr in cidrs(rc.change.after, ["cidr_ipv4", "cidr_ipv6"])
	some port in admin_ports
	after := rc.change.after
	covers(after.ip_protocol, object.get(after, "from_port", null), object.get(after, "to_port", null), port)
}

# Internet-wide CIDRs among the given attributes, whether each holds a list or a single string.
cidrs(values, attrs) := {cidr |
	some attr in attrs
	some cidr in as_list(object.get(values, attr, []))
	cidr in open_cidrs
}

as_list(x) := x if is_array(x)

else := [x] if is_string(x)

else := []

# AWS accepts protocols by name or by number, as a string.
protocol_name(protocol) := lower(protocol) if is_string(protocol)

else := format_int(protocol, 10)

# Protocol -1 ("all") opens every port whatever from/to say.
covers(protocol, _, _, _) if protocol_name(protocol) in {"-1", "all"}

# Any other port-carrying protocol counts: RDP also listens on UDP 3389.
covers(protocol, from, to, port) if {
	not protocol_name(protocol) in {"icmp", "1", "icmpv6", "58"}
	from <= port
	port <= to
}
