package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/dharma-platform/terraform-provider-dharma/internal/pgsql"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/jackc/pgx/v5"
)

type databaseResource struct{ pgResource }

func newDatabaseResource() resource.Resource { return &databaseResource{} }

type databaseModel struct {
	ID              types.String `tfsdk:"id"`
	Name            types.String `tfsdk:"name"`
	Owner           types.String `tfsdk:"owner"`
	Encoding        types.String `tfsdk:"encoding"`
	ConnectionLimit types.Int64  `tfsdk:"connection_limit"`
}

func (r *databaseResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_postgresql_database"
}

func (r *databaseResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "A PostgreSQL database (CREATE/ALTER/DROP DATABASE). Destroying it ends the sessions " +
			"connected to it. Import with the database name.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed: true, Description: "The database name.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				Required: true, Description: "Database name; a change renames the database.",
				Validators: []validator.String{identifier{}},
			},
			"owner": schema.StringAttribute{
				Optional: true, Computed: true,
				Description:   "Owning role; default the provider's user.",
				Validators:    []validator.String{identifier{}},
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"encoding": schema.StringAttribute{
				Optional: true, Computed: true, Default: stringdefault.StaticString("UTF8"),
				Description:   "Character set; a change recreates the database.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"connection_limit": schema.Int64Attribute{
				Optional: true, Computed: true, Default: int64default.StaticInt64(-1),
				Description: "Concurrent connections allowed; -1 means no limit.",
				Validators:  []validator.Int64{int64validator.AtLeast(-1)},
			},
		},
	}
}

func (r *databaseResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan databaseModel
	conn := r.open(ctx, req.Plan.Get, &plan, &resp.Diagnostics)
	if conn == nil {
		return
	}
	defer conn.Close(ctx)
	name := plan.Name.ValueString()
	// template0: the new database starts empty, and may use an encoding other than template1's.
	stmt := "CREATE DATABASE " + pgsql.Ident(name) + " TEMPLATE template0 ENCODING " +
		pgsql.Literal(plan.Encoding.ValueString()) + fmt.Sprintf(" CONNECTION LIMIT %d", plan.ConnectionLimit.ValueInt64())
	if !plan.Owner.IsNull() && !plan.Owner.IsUnknown() {
		stmt += " OWNER " + pgsql.Ident(plan.Owner.ValueString())
	}
	if _, err := conn.Exec(ctx, stmt); err != nil {
		sqlError(&resp.Diagnostics, fmt.Sprintf("Cannot create database %q", name), err)
		return
	}
	plan.ID = types.StringValue(name)
	if !r.readInto(ctx, conn, &plan, &resp.Diagnostics) {
		resp.Diagnostics.AddError("Database vanished", fmt.Sprintf("database %q was dropped right after it was created", name))
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

// readInto refreshes m from the server; false when the database does not exist.
func (r *databaseResource) readInto(ctx context.Context, conn *pgx.Conn, m *databaseModel, diags *diag.Diagnostics) bool {
	name := m.ID.ValueString()
	var owner, encoding string
	var limit int64
	err := conn.QueryRow(ctx, `SELECT pg_get_userbyid(datdba), pg_encoding_to_char(encoding), datconnlimit
		FROM pg_database WHERE datname = $1`, name).Scan(&owner, &encoding, &limit)
	if errors.Is(err, pgx.ErrNoRows) {
		return false
	}
	if err != nil {
		sqlError(diags, fmt.Sprintf("Cannot read database %q", name), err)
		return true
	}
	m.Name = types.StringValue(name)
	m.Owner = types.StringValue(owner)
	// The server spells encodings its own way (utf8 → UTF8): only a different encoding is drift.
	if !strings.EqualFold(m.Encoding.ValueString(), encoding) {
		m.Encoding = types.StringValue(encoding)
	}
	m.ConnectionLimit = types.Int64Value(limit)
	return true
}

func (r *databaseResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state databaseModel
	conn := r.open(ctx, req.State.Get, &state, &resp.Diagnostics)
	if conn == nil {
		return
	}
	defer conn.Close(ctx)
	if !r.readInto(ctx, conn, &state, &resp.Diagnostics) {
		resp.State.RemoveResource(ctx)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
}

func (r *databaseResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state databaseModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	conn := r.connect(ctx, "", &resp.Diagnostics)
	if conn == nil {
		return
	}
	defer conn.Close(ctx)
	name := plan.Name.ValueString()
	var stmts []string
	if old := state.ID.ValueString(); old != name {
		stmts = append(stmts, "ALTER DATABASE "+pgsql.Ident(old)+" RENAME TO "+pgsql.Ident(name))
	}
	if !plan.Owner.IsUnknown() && !plan.Owner.IsNull() && plan.Owner.ValueString() != state.Owner.ValueString() {
		stmts = append(stmts, "ALTER DATABASE "+pgsql.Ident(name)+" OWNER TO "+pgsql.Ident(plan.Owner.ValueString()))
	}
	stmts = append(stmts, fmt.Sprintf("ALTER DATABASE %s CONNECTION LIMIT %d", pgsql.Ident(name), plan.ConnectionLimit.ValueInt64()))
	err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		for _, stmt := range stmts {
			if _, err := tx.Exec(ctx, stmt); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		sqlError(&resp.Diagnostics, fmt.Sprintf("Cannot alter database %q", name), err)
		return
	}
	plan.ID = types.StringValue(name)
	if !r.readInto(ctx, conn, &plan, &resp.Diagnostics) {
		resp.Diagnostics.AddError("Database vanished", fmt.Sprintf("database %q no longer exists", name))
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

func (r *databaseResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state databaseModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := state.ID.ValueString()
	if name == r.client.configuredDatabase() {
		resp.Diagnostics.AddError(fmt.Sprintf("Cannot drop database %q", name),
			"the provider is connected to it: set postgres.database (or PGDATABASE) to another database, e.g. postgres")
		return
	}
	conn := r.connect(ctx, "", &resp.Diagnostics)
	if conn == nil {
		return
	}
	defer conn.Close(ctx)
	var version int
	if err := conn.QueryRow(ctx, "SELECT current_setting('server_version_num')::int").Scan(&version); err != nil {
		sqlError(&resp.Diagnostics, "Cannot read the server version", err)
		return
	}
	// A session still connected would make DROP fail: PostgreSQL 13+ ends them itself (FORCE);
	// older servers need them terminated first.
	stmt := "DROP DATABASE IF EXISTS " + pgsql.Ident(name) + " WITH (FORCE)"
	if version < 130000 {
		stmt = "DROP DATABASE IF EXISTS " + pgsql.Ident(name)
		if _, err := conn.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
			WHERE datname = $1 AND pid <> pg_backend_pid()`, name); err != nil {
			sqlError(&resp.Diagnostics, fmt.Sprintf("Cannot end the sessions of database %q", name), err)
			return
		}
	}
	if _, err := conn.Exec(ctx, stmt); err != nil {
		sqlError(&resp.Diagnostics, fmt.Sprintf("Cannot drop database %q", name), err)
	}
}

func (r *databaseResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("name"), req.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("encoding"), "UTF8")...)
}
