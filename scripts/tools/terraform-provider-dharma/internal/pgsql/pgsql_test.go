package pgsql

import (
	"strings"
	"testing"
)

func TestIdentDoublesQuotes(t *testing.T) {
	if got := Ident(`we"ird`); got != `"we""ird"` {
		t.Fatalf("Ident = %s", got)
	}
}

func TestLiteralEscapesQuotesAndBackslashes(t *testing.T) {
	cases := map[string]string{
		"plain": "'plain'",
		"it's":  "'it''s'",
		`a\b'c`: `E'a\\b''c'`,
		"":      "''",
	}
	for in, want := range cases {
		if got := Literal(in); got != want {
			t.Errorf("Literal(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestCheckIdentifier(t *testing.T) {
	if CheckIdentifier("tenant_db") != nil {
		t.Fatal("a plain name is valid")
	}
	if err := CheckIdentifier(strings.Repeat("x", 64)); err == nil || !strings.Contains(err.Error(), "64 bytes") {
		t.Fatalf("a 64-byte name is refused with its length, got %v", err)
	}
	if CheckIdentifier("") == nil {
		t.Fatal("an empty name is refused")
	}
}

func TestCanonicalExpandsAllAndSynonyms(t *testing.T) {
	got, err := Canonical(ObjectDatabase, []string{"all"})
	if err != nil || strings.Join(got, ",") != "CONNECT,CREATE,TEMPORARY" {
		t.Fatalf("ALL on a database = %v, %v", got, err)
	}
	got, err = Canonical(ObjectDatabase, []string{"temp", "connect", "CONNECT"})
	if err != nil || strings.Join(got, ",") != "CONNECT,TEMPORARY" {
		t.Fatalf("TEMP and duplicates = %v, %v", got, err)
	}
}

func TestCanonicalRefusesPrivilegesOfOtherObjectTypes(t *testing.T) {
	_, err := Canonical(ObjectSchema, []string{"SELECT"})
	if err == nil || !strings.Contains(err.Error(), `"SELECT" does not apply to a schema: expected some of ALL, CREATE, USAGE`) {
		t.Fatalf("SELECT on a schema: %v", err)
	}
	if _, err := Canonical("view", []string{"SELECT"}); err == nil {
		t.Fatal("an unknown object type is refused")
	}
}

func TestGrantAndRevokeStatements(t *testing.T) {
	if got := GrantSQL(ObjectDatabase, "db", "public", "r", []string{"CONNECT"}); got != `GRANT CONNECT ON DATABASE "db" TO "r"` {
		t.Errorf("database grant: %s", got)
	}
	if got := GrantSQL(ObjectTable, "db", "app", "r", []string{"INSERT", "SELECT"}); got != `GRANT INSERT, SELECT ON ALL TABLES IN SCHEMA "app" TO "r"` {
		t.Errorf("table grant: %s", got)
	}
	if got := RevokeSQL(ObjectSchema, "db", "public", "r", []string{"USAGE"}); got != `REVOKE USAGE ON SCHEMA "public" FROM "r"` {
		t.Errorf("schema revoke: %s", got)
	}
}

func TestFilterKeepsKnownPrivilegesSorted(t *testing.T) {
	got := Filter(ObjectDatabase, []string{"TEMPORARY", "CONNECT", "CONNECT", "MAINTAIN"})
	if strings.Join(got, ",") != "CONNECT,TEMPORARY" {
		t.Fatalf("Filter = %v", got)
	}
	if got := Filter(ObjectSchema, nil); got == nil || len(got) != 0 {
		t.Fatalf("nothing held is an empty, non-nil list: %#v", got)
	}
}

func TestHeldOnEveryIntersectsTables(t *testing.T) {
	rows := []string{"1:SELECT", "1:INSERT", "2:SELECT", "2:MAINTAIN"}
	if got := HeldOnEvery(rows); strings.Join(got, ",") != "SELECT" {
		t.Fatalf("held on both tables = %v", got)
	}
	if got := HeldOnEvery([]string{"1:SELECT", "2:"}); got == nil || len(got) != 0 {
		t.Fatalf("a table without privileges leaves none held everywhere: %#v", got)
	}
	if got := HeldOnEvery(nil); got != nil {
		t.Fatalf("no table at all is nil (nothing to compare), got %#v", got)
	}
}
