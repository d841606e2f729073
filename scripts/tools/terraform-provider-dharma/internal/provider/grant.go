package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/dharma-platform/terraform-provider-dharma/internal/pgsql"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/jackc/pgx/v5"
)

type grantResource struct{ pgResource }

func newGrantResource() resource.Resource { return &grantResource{} }

type grantModel struct {
	ID         types.String `tfsdk:"id"`
	Database   types.String `tfsdk:"database"`
	Role       types.String `tfsdk:"role"`
	Schema     types.String `tfsdk:"schema"`
	ObjectType types.String `tfsdk:"object_type"`
	Privileges types.Set    `tfsdk:"privileges"`
}

func (r *grantResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_postgresql_grant"
}

func (r *grantResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	resp.Schema = schema.Schema{
		Description: "Privileges of a role on a database, a schema, or all tables of a schema (GRANT/REVOKE). " +
			"Import with role|database|schema|object_type.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed: true, Description: "role|database|schema|object_type.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"database": schema.StringAttribute{
				Required: true, Description: "Database holding the objects (the object itself for object_type database).",
				Validators: []validator.String{identifier{}}, PlanModifiers: replace,
			},
			"role": schema.StringAttribute{
				Required: true, Description: "Role receiving the privileges.",
				Validators: []validator.String{identifier{}}, PlanModifiers: replace,
			},
			"schema": schema.StringAttribute{
				Optional: true, Computed: true, Default: stringdefault.StaticString("public"),
				Description: "Schema for object_type schema and table.",
				Validators:  []validator.String{identifier{}}, PlanModifiers: replace,
			},
			"object_type": schema.StringAttribute{
				Required: true, Description: "database, schema, or table (every table of the schema).",
				Validators: []validator.String{stringvalidator.OneOf(pgsql.ObjectTypes...)}, PlanModifiers: replace,
			},
			"privileges": schema.SetAttribute{
				Required: true, ElementType: types.StringType,
				Description: "Privileges, e.g. CONNECT, CREATE, USAGE, SELECT, or ALL.",
				Validators:  []validator.Set{setvalidator.SizeAtLeast(1)},
			},
		},
	}
}

// ValidateConfig refuses at plan time a privilege the object type does not have (SELECT on a database).
func (r *grantResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m grantModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || m.ObjectType.IsUnknown() || m.ObjectType.IsNull() || m.Privileges.IsUnknown() {
		return
	}
	var privileges []types.String
	resp.Diagnostics.Append(m.Privileges.ElementsAs(ctx, &privileges, false)...)
	names := make([]string, 0, len(privileges))
	for _, p := range privileges {
		if p.IsUnknown() {
			return
		}
		names = append(names, p.ValueString())
	}
	if _, err := pgsql.Canonical(pgsql.ObjectType(m.ObjectType.ValueString()), names); err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("privileges"), "Invalid privilege", err.Error())
	}
}

func (m grantModel) objectType() pgsql.ObjectType {
	return pgsql.ObjectType(m.ObjectType.ValueString())
}

// canonical is the model's privilege set with ALL expanded; nil with a diagnostic when invalid.
func (m grantModel) canonical(ctx context.Context, diags *diag.Diagnostics) []string {
	var names []string
	if !m.Privileges.IsNull() {
		diags.Append(m.Privileges.ElementsAs(ctx, &names, false)...)
	}
	out, err := pgsql.Canonical(m.objectType(), names)
	if err != nil {
		diags.AddAttributeError(path.Root("privileges"), "Invalid privilege", err.Error())
	}
	return out
}

func (m grantModel) id() string {
	return strings.Join([]string{m.Role.ValueString(), m.Database.ValueString(), m.Schema.ValueString(), m.ObjectType.ValueString()}, "|")
}

// connectTo opens a connection to the grant's database: schema and table privileges live there.
func (r *grantResource) connectTo(ctx context.Context, m grantModel, diags *diag.Diagnostics) *pgx.Conn {
	return r.connect(ctx, m.Database.ValueString(), diags)
}

func (r *grantResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan grantModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	privileges := plan.canonical(ctx, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	conn := r.connectTo(ctx, plan, &resp.Diagnostics)
	if conn == nil {
		return
	}
	defer conn.Close(ctx)
	stmt := pgsql.GrantSQL(plan.objectType(), plan.Database.ValueString(), plan.Schema.ValueString(), plan.Role.ValueString(), privileges)
	if _, err := conn.Exec(ctx, stmt); err != nil {
		sqlError(&resp.Diagnostics, "Cannot grant: "+stmt, err)
		return
	}
	plan.ID = types.StringValue(plan.id())
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

// exists reports whether the database, role and (for schema and table grants) schema all exist; a
// grant on something gone is gone too.
func (r *grantResource) exists(ctx context.Context, m grantModel, diags *diag.Diagnostics) bool {
	conn := r.connect(ctx, "", diags)
	if conn == nil {
		return false
	}
	defer conn.Close(ctx)
	var found bool
	err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)
		AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $2)`, m.Database.ValueString(), m.Role.ValueString()).Scan(&found)
	if err != nil {
		sqlError(diags, "Cannot look up the grant's database and role", err)
		return false
	}
	return found
}

// held lists the privileges the role holds, canonical; for tables, those it holds on every table
// of the schema (nil, not empty, when the schema has no table: nothing can have drifted).
func (r *grantResource) held(ctx context.Context, conn *pgx.Conn, m grantModel) (held []string, schemaFound bool, err error) {
	role := m.Role.ValueString()
	var query string
	var arg string
	switch m.objectType() {
	case pgsql.ObjectDatabase:
		query = `SELECT a.privilege_type FROM pg_database d CROSS JOIN LATERAL aclexplode(d.datacl) a
			WHERE d.datname = $1 AND a.grantee = (SELECT oid FROM pg_roles WHERE rolname = $2)`
		arg = m.Database.ValueString()
	case pgsql.ObjectSchema:
		query = `SELECT a.privilege_type FROM pg_namespace n CROSS JOIN LATERAL aclexplode(n.nspacl) a
			WHERE n.nspname = $1 AND a.grantee = (SELECT oid FROM pg_roles WHERE rolname = $2)`
		arg = m.Schema.ValueString()
	default:
		query = `SELECT c.oid::text || ':' || coalesce(a.privilege_type, '') FROM pg_class c
			JOIN pg_namespace n ON n.oid = c.relnamespace
			LEFT JOIN LATERAL aclexplode(c.relacl) a ON a.grantee = (SELECT oid FROM pg_roles WHERE rolname = $2)
			WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')`
		arg = m.Schema.ValueString()
	}
	if m.objectType() != pgsql.ObjectDatabase {
		if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", arg).Scan(&schemaFound); err != nil || !schemaFound {
			return nil, false, err
		}
	}
	rows, err := conn.Query(ctx, query, arg, role)
	if err != nil {
		return nil, true, err
	}
	values, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, true, err
	}
	if m.objectType() == pgsql.ObjectTable {
		return pgsql.HeldOnEvery(values), true, nil
	}
	return pgsql.Filter(m.objectType(), values), true, nil
}

func (r *grantResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state grantModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !r.exists(ctx, state, &resp.Diagnostics) {
		if !resp.Diagnostics.HasError() {
			resp.State.RemoveResource(ctx)
		}
		return
	}
	conn := r.connectTo(ctx, state, &resp.Diagnostics)
	if conn == nil {
		return
	}
	defer conn.Close(ctx)
	held, schemaFound, err := r.held(ctx, conn, state)
	if err != nil {
		sqlError(&resp.Diagnostics, "Cannot read privileges of role "+state.Role.ValueString(), err)
		return
	}
	if !schemaFound || (held != nil && len(held) == 0) {
		resp.State.RemoveResource(ctx)
		return
	}
	var ignored diag.Diagnostics
	// The state keeps the configuration's spelling (ALL, lower case) while it grants what is held.
	if held != nil && !pgsql.Same(held, state.canonical(ctx, &ignored)) {
		set, diags := types.SetValueFrom(ctx, types.StringType, held)
		resp.Diagnostics.Append(diags...)
		state.Privileges = set
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
}

func (r *grantResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state grantModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	granted := plan.canonical(ctx, &resp.Diagnostics)
	var ignored diag.Diagnostics
	revoked := state.canonical(ctx, &ignored)
	if resp.Diagnostics.HasError() {
		return
	}
	conn := r.connectTo(ctx, plan, &resp.Diagnostics)
	if conn == nil {
		return
	}
	defer conn.Close(ctx)
	t, db, schemaName, role := plan.objectType(), plan.Database.ValueString(), plan.Schema.ValueString(), plan.Role.ValueString()
	// Revoke and grant in one transaction: the role never briefly holds neither set.
	err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if len(revoked) > 0 {
			if _, err := tx.Exec(ctx, pgsql.RevokeSQL(t, db, schemaName, role, revoked)); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, pgsql.GrantSQL(t, db, schemaName, role, granted))
		return err
	})
	if err != nil {
		sqlError(&resp.Diagnostics, "Cannot change the privileges of role "+role, err)
		return
	}
	plan.ID = types.StringValue(plan.id())
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

func (r *grantResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state grantModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	var ignored diag.Diagnostics
	privileges := state.canonical(ctx, &ignored)
	if resp.Diagnostics.HasError() || len(privileges) == 0 || !r.exists(ctx, state, &resp.Diagnostics) {
		return
	}
	conn := r.connectTo(ctx, state, &resp.Diagnostics)
	if conn == nil {
		return
	}
	defer conn.Close(ctx)
	if state.objectType() != pgsql.ObjectDatabase {
		var found bool
		if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", state.Schema.ValueString()).Scan(&found); err != nil || !found {
			return
		}
	}
	stmt := pgsql.RevokeSQL(state.objectType(), state.Database.ValueString(), state.Schema.ValueString(), state.Role.ValueString(), privileges)
	if _, err := conn.Exec(ctx, stmt); err != nil {
		sqlError(&resp.Diagnostics, "Cannot revoke: "+stmt, err)
	}
}

// ImportState takes role|database|schema|object_type; Read then fills in the privileges held.
func (r *grantResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	parts := strings.Split(req.ID, "|")
	if len(parts) != 4 {
		resp.Diagnostics.AddError("Invalid import id", fmt.Sprintf("expected role|database|schema|object_type, got %q", req.ID))
		return
	}
	for i, attr := range []string{"role", "database", "schema", "object_type"} {
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root(attr), parts[i])...)
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
}
