package provider

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// The framework validates every schema when it serves them: a bad default or modifier fails here.
func TestSchemasAreServedWithoutDiagnostics(t *testing.T) {
	server := providerserver.NewProtocol6(New("test")())()
	resp, err := server.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range resp.Diagnostics {
		t.Errorf("%s: %s", d.Summary, d.Detail)
	}
	for _, name := range []string{"dharma_postgresql_role", "dharma_postgresql_database", "dharma_postgresql_grant", "dharma_random_string", "dharma_file"} {
		if resp.ResourceSchemas[name] == nil {
			t.Errorf("resource %s is not served", name)
		}
	}
}

func TestConnStringQuotesValues(t *testing.T) {
	got := connString(map[string]string{"password": `it's\secret`, "host": "db"})
	if want := `host='db' password='it\'s\\secret'`; got != want {
		t.Fatalf("connString = %s, want %s", got, want)
	}
}

func TestClientRefusesToConnectWithUnknownSettings(t *testing.T) {
	c := &Client{settings: map[string]string{}, unknown: []string{"host"}}
	if _, err := c.Connect(context.Background(), ""); err == nil {
		t.Fatal("a host known only after apply cannot be connected to")
	}
}

func TestEmptySettingsFallBackToTheEnvironment(t *testing.T) {
	c := newClient(&postgresModel{
		Host: types.StringValue("db.internal"), Port: types.Int64Null(), Username: types.StringNull(),
		Password: types.StringValue(""), Database: types.StringValue("postgres"), SSLMode: types.StringNull(),
	})
	if _, set := c.settings["password"]; set {
		t.Fatal("an empty password is left to PGPASSWORD")
	}
	if c.settings["host"] != "db.internal" || c.settings["dbname"] != "postgres" {
		t.Fatalf("configured values are kept: %v", c.settings)
	}
}
