// Package provider implements the dharma provider: PostgreSQL roles, databases and grants, random
// strings and local files, the resources Dharma's laptop blueprints need.
package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

type dharmaProvider struct {
	version string
}

// New returns the provider factory providerserver.Serve expects.
func New(version string) func() provider.Provider {
	return func() provider.Provider { return &dharmaProvider{version: version} }
}

type providerModel struct {
	Postgres *postgresModel `tfsdk:"postgres"`
}

type postgresModel struct {
	Host     types.String `tfsdk:"host"`
	Port     types.Int64  `tfsdk:"port"`
	Username types.String `tfsdk:"username"`
	Password types.String `tfsdk:"password"`
	Database types.String `tfsdk:"database"`
	SSLMode  types.String `tfsdk:"sslmode"`
}

func (p *dharmaProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "dharma"
	resp.Version = p.version
}

func (p *dharmaProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "Dharma's own provider: PostgreSQL roles, databases and grants, random strings, local files.",
		Blocks: map[string]schema.Block{
			"postgres": schema.SingleNestedBlock{
				Description: "The PostgreSQL server the dharma_postgresql_* resources manage. Every argument " +
					"falls back to its libpq environment variable (PGHOST, PGPORT, PGUSER, PGPASSWORD, " +
					"PGDATABASE, PGSSLMODE) when unset or empty, so secrets need not be written in configuration files.",
				Attributes: map[string]schema.Attribute{
					"host": schema.StringAttribute{Optional: true, Description: "Server host or socket directory (PGHOST)."},
					"port": schema.Int64Attribute{
						Optional: true, Description: "Server port (PGPORT).",
						Validators: []validator.Int64{int64validator.Between(1, 65535)},
					},
					"username": schema.StringAttribute{Optional: true, Description: "User to connect as (PGUSER)."},
					"password": schema.StringAttribute{Optional: true, Sensitive: true, Description: "Password (PGPASSWORD)."},
					"database": schema.StringAttribute{
						Optional:    true,
						Description: "Maintenance database to connect to for roles and databases (PGDATABASE).",
					},
					"sslmode": schema.StringAttribute{
						Optional: true, Description: "libpq sslmode (PGSSLMODE).",
						Validators: []validator.String{stringvalidator.OneOf(sslModes...)},
					},
				},
			},
		},
	}
}

func (p *dharmaProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var config providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	client := newClient(config.Postgres)
	resp.ResourceData = client
	resp.DataSourceData = client
}

func (p *dharmaProvider) Resources(_ context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		newRoleResource,
		newDatabaseResource,
		newGrantResource,
		newRandomStringResource,
		newFileResource,
	}
}

func (p *dharmaProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return nil
}
