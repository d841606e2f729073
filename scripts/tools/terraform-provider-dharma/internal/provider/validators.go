package provider

import (
	"context"
	"fmt"

	"github.com/dharma-platform/terraform-provider-dharma/internal/pgsql"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// identifier validates PostgreSQL names at plan time, so a name the server would truncate or refuse
// fails `plan`, not half-way through `apply`.
type identifier struct{}

func (identifier) Description(context.Context) string {
	return fmt.Sprintf("a PostgreSQL name of 1 to %d bytes", pgsql.MaxIdentifierBytes)
}

func (v identifier) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (identifier) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := pgsql.CheckIdentifier(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid PostgreSQL name",
			fmt.Sprintf("%s %q %s.", req.Path, req.ConfigValue.ValueString(), err))
	}
}
