package provider

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dharma-platform/terraform-provider-dharma/internal/pgsql"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

type roleResource struct{ pgResource }

func newRoleResource() resource.Resource { return &roleResource{} }

type roleModel struct {
	ID              types.String `tfsdk:"id"`
	Name            types.String `tfsdk:"name"`
	Login           types.Bool   `tfsdk:"login"`
	Password        types.String `tfsdk:"password"`
	ConnectionLimit types.Int64  `tfsdk:"connection_limit"`
}

func (r *roleResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_postgresql_role"
}

func (r *roleResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "A PostgreSQL role (CREATE/ALTER/DROP ROLE). Destroying it first reassigns what it owns " +
			"to the provider's user and revokes its privileges, in every database (REASSIGN OWNED, DROP OWNED). " +
			"Import with the role name.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed: true, Description: "The role name.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				Required: true, Description: "Role name; a change renames the role.",
				Validators: []validator.String{identifier{}},
			},
			"login": schema.BoolAttribute{
				Optional: true, Computed: true, Default: booldefault.StaticBool(false),
				Description: "Whether the role may log in.",
			},
			"password": schema.StringAttribute{
				Optional: true, Sensitive: true,
				Description: "Password; not read back from the server (it stores only a hash).",
			},
			"connection_limit": schema.Int64Attribute{
				Optional: true, Computed: true, Default: int64default.StaticInt64(-1),
				Description: "Concurrent connections allowed; -1 means no limit.",
				Validators:  []validator.Int64{int64validator.AtLeast(-1)},
			},
		},
	}
}

// roleOptions is the WITH clause shared by CREATE and ALTER ROLE. A null password is only written
// when clearing one (ALTER); CREATE without a password leaves none.
func roleOptions(m roleModel, clearPassword bool) string {
	opts := "NOLOGIN"
	if m.Login.ValueBool() {
		opts = "LOGIN"
	}
	opts += fmt.Sprintf(" CONNECTION LIMIT %d", m.ConnectionLimit.ValueInt64())
	if !m.Password.IsNull() {
		opts += " PASSWORD " + pgsql.Literal(m.Password.ValueString())
	} else if clearPassword {
		opts += " PASSWORD NULL"
	}
	return opts
}

func (r *roleResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan roleModel
	conn := r.open(ctx, req.Plan.Get, &plan, &resp.Diagnostics)
	if conn == nil {
		return
	}
	defer conn.Close(ctx)
	name := plan.Name.ValueString()
	if _, err := conn.Exec(ctx, "CREATE ROLE "+pgsql.Ident(name)+" WITH "+roleOptions(plan, false)); err != nil {
		sqlError(&resp.Diagnostics, fmt.Sprintf("Cannot create role %q", name), err)
		return
	}
	plan.ID = types.StringValue(name)
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

func (r *roleResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state roleModel
	conn := r.open(ctx, req.State.Get, &state, &resp.Diagnostics)
	if conn == nil {
		return
	}
	defer conn.Close(ctx)
	name := state.ID.ValueString()
	var login bool
	var limit int64
	err := conn.QueryRow(ctx, "SELECT rolcanlogin, rolconnlimit FROM pg_roles WHERE rolname = $1", name).Scan(&login, &limit)
	if errors.Is(err, pgx.ErrNoRows) {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		sqlError(&resp.Diagnostics, fmt.Sprintf("Cannot read role %q", name), err)
		return
	}
	state.Name = types.StringValue(name)
	state.Login = types.BoolValue(login)
	state.ConnectionLimit = types.Int64Value(limit)
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
}

func (r *roleResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state roleModel
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
	// One transaction: a failed ALTER leaves the role under its old name with its old options.
	err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if old := state.ID.ValueString(); old != name {
			if _, err := tx.Exec(ctx, "ALTER ROLE "+pgsql.Ident(old)+" RENAME TO "+pgsql.Ident(name)); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, "ALTER ROLE "+pgsql.Ident(name)+" WITH "+roleOptions(plan, !state.Password.IsNull()))
		return err
	})
	if err != nil {
		sqlError(&resp.Diagnostics, fmt.Sprintf("Cannot alter role %q", name), err)
		return
	}
	plan.ID = types.StringValue(name)
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

func (r *roleResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state roleModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := state.ID.ValueString()
	// A database being dropped in parallel (tofu destroys independent resources concurrently) can
	// still hold the role's objects for a moment, or end our session: try again briefly.
	for attempt := 1; ; attempt++ {
		err := r.releaseAndDrop(ctx, name)
		if err == nil {
			return
		}
		var pgErr *pgconn.PgError
		if attempt < 5 && errors.As(err, &pgErr) && retryDropCodes[pgErr.Code] {
			time.Sleep(time.Duration(attempt) * 300 * time.Millisecond)
			continue
		}
		sqlError(&resp.Diagnostics, fmt.Sprintf("Cannot drop role %q", name), err)
		return
	}
}

// retryDropCodes: objects still depend on the role, a database vanished, our session was ended.
var retryDropCodes = map[string]bool{"2BP01": true, "3D000": true, "57P01": true}

// releaseAndDrop hands what the role owns to the provider's user and revokes its privileges in every
// database where it has any (REASSIGN OWNED / DROP OWNED act on the current database only), then
// drops it: objects the role created keep their data, and none blocks the drop.
func (r *roleResource) releaseAndDrop(ctx context.Context, name string) error {
	conn, err := r.client.Connect(ctx, "")
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", name).Scan(&exists); err != nil || !exists {
		return err
	}
	rows, err := conn.Query(ctx, `SELECT DISTINCT d.datname FROM pg_shdepend s JOIN pg_database d ON d.oid = s.dbid
		WHERE s.refclassid = 'pg_authid'::regclass AND s.refobjid = (SELECT oid FROM pg_roles WHERE rolname = $1)
		AND d.datallowconn AND d.datname <> current_database()`, name)
	if err != nil {
		return err
	}
	databases, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	release := "REASSIGN OWNED BY " + pgsql.Ident(name) + " TO CURRENT_USER; DROP OWNED BY " + pgsql.Ident(name)
	if _, err := conn.Exec(ctx, release); err != nil {
		return err
	}
	for _, database := range databases {
		other, err := r.client.Connect(ctx, database)
		if err != nil {
			var pgErr *pgconn.PgError
			if errors.As(err, &pgErr) && pgErr.Code == "3D000" {
				continue // dropped meanwhile, with everything the role owned in it
			}
			return err
		}
		_, err = other.Exec(ctx, release)
		other.Close(ctx)
		if err != nil {
			return err
		}
	}
	_, err = conn.Exec(ctx, "DROP ROLE IF EXISTS "+pgsql.Ident(name))
	return err
}

func (r *roleResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("name"), req.ID)...)
}
