package pgsql

import (
	"fmt"
	"sort"
	"strings"
)

// ObjectType is what a grant applies to.
type ObjectType string

const (
	ObjectDatabase ObjectType = "database"
	ObjectSchema   ObjectType = "schema"
	// ObjectTable grants on every table of the schema that exists when the grant is applied.
	ObjectTable ObjectType = "table"
)

// ObjectTypes lists the grantable object types, for validation messages.
var ObjectTypes = []string{string(ObjectDatabase), string(ObjectSchema), string(ObjectTable)}

// privilegesOf are the privileges each object type accepts, as aclexplode() names them.
var privilegesOf = map[ObjectType][]string{
	ObjectDatabase: {"CONNECT", "CREATE", "TEMPORARY"},
	ObjectSchema:   {"CREATE", "USAGE"},
	ObjectTable:    {"DELETE", "INSERT", "REFERENCES", "SELECT", "TRIGGER", "TRUNCATE", "UPDATE"},
}

// synonyms are the spellings GRANT accepts for one privilege.
var synonyms = map[string]string{"TEMP": "TEMPORARY"}

// Known lists the privileges an object type accepts (ALL included), for validation messages.
func Known(t ObjectType) []string {
	return append([]string{"ALL"}, privilegesOf[t]...)
}

// Canonical expands ALL and synonyms and sorts: two privilege lists that grant the same thing have
// the same canonical form. A privilege the object type does not accept is an error naming it.
func Canonical(t ObjectType, privileges []string) ([]string, error) {
	accepted, ok := privilegesOf[t]
	if !ok {
		return nil, fmt.Errorf("unknown object_type %q: expected one of %s", t, strings.Join(ObjectTypes, ", "))
	}
	set := map[string]bool{}
	for _, p := range privileges {
		name := strings.ToUpper(strings.TrimSpace(p))
		if alias, ok := synonyms[name]; ok {
			name = alias
		}
		if name == "ALL" || name == "ALL PRIVILEGES" {
			for _, a := range accepted {
				set[a] = true
			}
			continue
		}
		if !contains(accepted, name) {
			return nil, fmt.Errorf("privilege %q does not apply to a %s: expected some of %s",
				p, t, strings.Join(Known(t), ", "))
		}
		set[name] = true
	}
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	sort.Strings(out)
	return out, nil
}

// Same reports whether two canonical privilege lists are equal.
func Same(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Target names the objects of a grant in GRANT/REVOKE syntax.
func Target(t ObjectType, database, schema string) string {
	switch t {
	case ObjectDatabase:
		return "DATABASE " + Ident(database)
	case ObjectSchema:
		return "SCHEMA " + Ident(schema)
	default:
		return "ALL TABLES IN SCHEMA " + Ident(schema)
	}
}

// GrantSQL is the statement granting canonical privileges to a role.
func GrantSQL(t ObjectType, database, schema, role string, privileges []string) string {
	return fmt.Sprintf("GRANT %s ON %s TO %s", strings.Join(privileges, ", "), Target(t, database, schema), Ident(role))
}

// RevokeSQL is the statement revoking canonical privileges from a role.
func RevokeSQL(t ObjectType, database, schema, role string, privileges []string) string {
	return fmt.Sprintf("REVOKE %s ON %s FROM %s", strings.Join(privileges, ", "), Target(t, database, schema), Ident(role))
}

// Filter keeps the privileges (aclexplode() names) that Canonical knows for t, sorted, deduplicated;
// newer ones (MAINTAIN on tables) are not managed. Never nil.
func Filter(t ObjectType, held []string) []string {
	set := map[string]bool{}
	for _, p := range held {
		if contains(privilegesOf[t], p) {
			set[p] = true
		}
	}
	out := []string{}
	for _, p := range privilegesOf[t] {
		if set[p] {
			out = append(out, p)
		}
	}
	return out
}

// HeldOnEvery takes rows "<table oid>:<privilege>" (privilege empty for a table where the role holds
// none) and returns the table privileges held on every table; nil when there is no table at all.
func HeldOnEvery(rows []string) []string {
	perTable := map[string]map[string]bool{}
	for _, row := range rows {
		table, privilege, _ := strings.Cut(row, ":")
		if perTable[table] == nil {
			perTable[table] = map[string]bool{}
		}
		if privilege != "" {
			perTable[table][privilege] = true
		}
	}
	if len(perTable) == 0 {
		return nil
	}
	out := []string{}
	for _, p := range privilegesOf[ObjectTable] {
		everywhere := true
		for _, privileges := range perTable {
			everywhere = everywhere && privileges[p]
		}
		if everywhere {
			out = append(out, p)
		}
	}
	return out
}
