// Package pgsql holds the pure SQL helpers of the PostgreSQL resources: identifier and literal
// quoting, and the privilege vocabulary of GRANT/REVOKE. Utility statements (CREATE ROLE, GRANT ...)
// take no bind parameters, so every name and password is quoted here instead.
package pgsql

import (
	"fmt"
	"strings"
)

// MaxIdentifierBytes is PostgreSQL's NAMEDATALEN-1: longer names are silently truncated by the
// server, which would make the name in state differ from the real one, so they are refused instead.
const MaxIdentifierBytes = 63

// Ident quotes a name for use as an SQL identifier, keeping its case.
func Ident(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// Literal quotes a string as an SQL literal whatever standard_conforming_strings is: a value with
// backslashes uses the E” form with them doubled.
func Literal(value string) string {
	quoted := "'" + strings.ReplaceAll(value, "'", "''") + "'"
	if strings.Contains(value, `\`) {
		return "E" + strings.ReplaceAll(quoted, `\`, `\\`)
	}
	return quoted
}

// CheckIdentifier explains why a name cannot be a PostgreSQL identifier, or returns nil.
func CheckIdentifier(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("must not be empty")
	case len(name) > MaxIdentifierBytes:
		return fmt.Errorf("is %d bytes long; PostgreSQL names are at most %d bytes", len(name), MaxIdentifierBytes)
	case strings.ContainsRune(name, 0):
		return fmt.Errorf("must not contain a NUL character")
	}
	return nil
}
