package provider

import (
	"context"

	"github.com/dharma-platform/terraform-provider-dharma/internal/randstr"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/boolplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/mapplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// maxRandomLength bounds a string that lives in state and in every plan.
const maxRandomLength = 1024

type randomStringResource struct{}

func newRandomStringResource() resource.Resource { return &randomStringResource{} }

type randomStringModel struct {
	ID      types.String `tfsdk:"id"`
	Length  types.Int64  `tfsdk:"length"`
	Special types.Bool   `tfsdk:"special"`
	Keepers types.Map    `tfsdk:"keepers"`
	Result  types.String `tfsdk:"result"`
}

func (r *randomStringResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_random_string"
}

func (r *randomStringResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	resp.Schema = schema.Schema{
		Description: "A random string from crypto/rand, drawn once and kept in state; it changes only " +
			"when length, special or keepers change.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed: true, Description: "Random identifier of this string (not derived from it).",
				PlanModifiers: keep,
			},
			"length": schema.Int64Attribute{
				Required: true, Description: "Number of characters.",
				Validators:    []validator.Int64{int64validator.Between(1, maxRandomLength)},
				PlanModifiers: []planmodifier.Int64{int64planmodifier.RequiresReplace()},
			},
			"special": schema.BoolAttribute{
				Optional: true, Computed: true, Default: booldefault.StaticBool(true),
				Description:   "Whether to draw from " + randstr.Special + " too, besides letters and digits.",
				PlanModifiers: []planmodifier.Bool{boolplanmodifier.RequiresReplace()},
			},
			"keepers": schema.MapAttribute{
				Optional: true, ElementType: types.StringType,
				Description:   "Arbitrary values; changing any draws a new string.",
				PlanModifiers: []planmodifier.Map{mapplanmodifier.RequiresReplace()},
			},
			"result": schema.StringAttribute{
				Computed: true, Sensitive: true, Description: "The string.",
				PlanModifiers: keep,
			},
		},
	}
}

func (r *randomStringResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan randomStringModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	result, err := randstr.String(int(plan.Length.ValueInt64()), randstr.Alphabet(plan.Special.ValueBool()))
	if err != nil {
		resp.Diagnostics.AddError("Cannot draw a random string", err.Error())
		return
	}
	id, err := randstr.String(16, "0123456789abcdef")
	if err != nil {
		resp.Diagnostics.AddError("Cannot draw a random id", err.Error())
		return
	}
	plan.Result = types.StringValue(result)
	plan.ID = types.StringValue(id)
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

// Read keeps the state: the string exists nowhere else.
func (r *randomStringResource) Read(context.Context, resource.ReadRequest, *resource.ReadResponse) {}

// Update only happens for no attribute (every argument replaces); it keeps the planned values.
func (r *randomStringResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan randomStringModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

// Delete has nothing to remove besides the state entry the framework drops.
func (r *randomStringResource) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {
}
