package provider

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

var sslModes = []string{"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}

// Client connects to the configured PostgreSQL server. It connects lazily, per operation, so that
// configurations using only dharma_random_string or dharma_file need no server at all.
type Client struct {
	// settings are the libpq keywords given in configuration; pgx fills the rest from PG* variables.
	settings map[string]string
	// unknown names arguments whose value is only known after apply (e.g. a host from another resource).
	unknown []string
}

func newClient(m *postgresModel) *Client {
	c := &Client{settings: map[string]string{"application_name": "terraform-provider-dharma", "connect_timeout": "10"}}
	if m == nil {
		return c
	}
	strs := map[string]struct {
		keyword string
		value   interface {
			IsNull() bool
			IsUnknown() bool
			ValueString() string
		}
	}{
		"host": {"host", m.Host}, "username": {"user", m.Username}, "password": {"password", m.Password},
		"database": {"dbname", m.Database}, "sslmode": {"sslmode", m.SSLMode},
	}
	for attr, s := range strs {
		switch {
		case s.value.IsUnknown():
			c.unknown = append(c.unknown, attr)
		case !s.value.IsNull() && s.value.ValueString() != "":
			c.settings[s.keyword] = s.value.ValueString()
		}
	}
	switch {
	case m.Port.IsUnknown():
		c.unknown = append(c.unknown, "port")
	case !m.Port.IsNull():
		c.settings["port"] = fmt.Sprint(m.Port.ValueInt64())
	}
	sort.Strings(c.unknown)
	return c
}

// connString renders keyword=value pairs, quoted as libpq expects.
func connString(settings map[string]string) string {
	keys := make([]string, 0, len(settings))
	for k := range settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		v := strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(settings[k])
		parts = append(parts, fmt.Sprintf("%s='%s'", k, v))
	}
	return strings.Join(parts, " ")
}

// Connect opens a connection to database, or to the configured (maintenance) database when empty.
func (c *Client) Connect(ctx context.Context, database string) (*pgx.Conn, error) {
	if c == nil {
		return nil, errors.New("the provider is not configured")
	}
	if len(c.unknown) > 0 {
		return nil, fmt.Errorf("postgres { %s } are only known after apply; the provider cannot connect before",
			strings.Join(c.unknown, ", "))
	}
	settings := map[string]string{}
	for k, v := range c.settings {
		settings[k] = v
	}
	if database != "" {
		settings["dbname"] = database
	}
	cfg, err := pgx.ParseConfig(connString(settings))
	if err != nil {
		return nil, fmt.Errorf("invalid postgres settings: %w", err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to PostgreSQL at %s:%d as %q, database %q: %w",
			cfg.Host, cfg.Port, cfg.User, cfg.Database, err)
	}
	return conn, nil
}

// configuredDatabase is the database Connect("") would use (the PGDATABASE fallback included).
func (c *Client) configuredDatabase() string {
	cfg, err := pgx.ParseConfig(connString(c.settings))
	if err != nil {
		return ""
	}
	return cfg.Database
}

// sqlError turns a PostgreSQL error into a diagnostic naming the statement's purpose, the server's
// message, its SQLSTATE and hint.
func sqlError(diags *diag.Diagnostics, summary string, err error) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		detail := fmt.Sprintf("%s (SQLSTATE %s)", pgErr.Message, pgErr.Code)
		if pgErr.Detail != "" {
			detail += "\n" + pgErr.Detail
		}
		if pgErr.Hint != "" {
			detail += "\nHint: " + pgErr.Hint
		}
		if hint := sqlStateHints[pgErr.Code]; hint != "" {
			detail += "\n" + hint
		}
		diags.AddError(summary, detail)
		return
	}
	diags.AddError(summary, err.Error())
}

var sqlStateHints = map[string]string{
	"42710": "It already exists: import it (tofu import <address> <name>) or choose another name.",
	"42P04": "It already exists: import it (tofu import <address> <name>) or choose another name.",
	"42501": "The provider's user lacks the privilege: connect as a superuser or a role with CREATEROLE/CREATEDB.",
	"2BP01": "Other objects depend on it: drop or reassign them first (databases it owns, grants it holds).",
	"3D000": "The database does not exist.",
}

// pgResource is embedded by the PostgreSQL resources to receive the provider's client.
type pgResource struct {
	client *Client
}

func (r *pgResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	if req.ProviderData == nil {
		return
	}
	client, ok := req.ProviderData.(*Client)
	if !ok {
		resp.Diagnostics.AddError("Unexpected provider data", fmt.Sprintf("expected *Client, got %T", req.ProviderData))
		return
	}
	r.client = client
}

// open reads the request's plan or state (get) into model and connects to the provider's database; nil
// when either failed, with the diagnostics saying why. The caller closes the connection.
func (r *pgResource) open(ctx context.Context, get func(context.Context, any) diag.Diagnostics, model any, diags *diag.Diagnostics) *pgx.Conn {
	diags.Append(get(ctx, model)...)
	if diags.HasError() {
		return nil
	}
	return r.connect(ctx, "", diags)
}

// connect opens a connection or records why it could not.
func (r *pgResource) connect(ctx context.Context, database string, diags *diag.Diagnostics) *pgx.Conn {
	conn, err := r.client.Connect(ctx, database)
	if err != nil {
		diags.AddError("Cannot connect to PostgreSQL", err.Error())
		return nil
	}
	return conn
}
