package provider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

type fileResource struct{}

func newFileResource() resource.Resource { return &fileResource{} }

type fileModel struct {
	ID             types.String `tfsdk:"id"`
	Filename       types.String `tfsdk:"filename"`
	Content        types.String `tfsdk:"content"`
	FilePermission types.String `tfsdk:"file_permission"`
	ContentSHA256  types.String `tfsdk:"content_sha256"`
}

func (r *fileResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_file"
}

func (r *fileResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "A local file with the given content. A file edited or removed on disk is drift: " +
			"the next plan rewrites it. Import with the file name.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed: true, Description: "The file name.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"filename": schema.StringAttribute{
				Required: true, Description: "Path of the file; parent directories are created.",
				Validators:    []validator.String{stringvalidator.LengthAtLeast(1)},
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"content": schema.StringAttribute{Required: true, Description: "Content of the file."},
			"file_permission": schema.StringAttribute{
				Optional: true, Computed: true, Default: stringdefault.StaticString("0644"),
				Description: "Octal permission bits, e.g. 0600.",
				Validators: []validator.String{stringvalidator.RegexMatches(regexp.MustCompile(`^0?[0-7]{3}$`),
					"must be octal permission bits such as 0644")},
			},
			"content_sha256": schema.StringAttribute{Computed: true, Description: "Hex SHA-256 of content."},
		},
	}
}

func sha256Hex(content string) string {
	sum := sha256.Sum256([]byte(content))
	return hex.EncodeToString(sum[:])
}

// ModifyPlan gives content_sha256 at plan time, so resources that depend on it plan precisely.
func (r *fileResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	var content types.String
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("content"), &content)...)
	if content.IsUnknown() || content.IsNull() {
		return
	}
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("content_sha256"), sha256Hex(content.ValueString()))...)
}

func permission(s string) os.FileMode {
	mode, _ := strconv.ParseUint(s, 8, 32)
	return os.FileMode(mode)
}

// write replaces the file atomically: a reader never sees it half-written.
func write(m fileModel) error {
	name := m.Filename.ValueString()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(m.Content.ValueString()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), permission(m.FilePermission.ValueString())); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}

// writePlanned writes the planned file and records it as the new state: creating and updating a file
// are the same atomic replacement.
func writePlanned(ctx context.Context, planned tfsdk.Plan, state *tfsdk.State, diags *diag.Diagnostics) {
	var plan fileModel
	diags.Append(planned.Get(ctx, &plan)...)
	if diags.HasError() {
		return
	}
	if err := write(plan); err != nil {
		diags.AddError(fmt.Sprintf("Cannot write %s", plan.Filename.ValueString()), err.Error())
		return
	}
	plan.ID = plan.Filename
	plan.ContentSHA256 = types.StringValue(sha256Hex(plan.Content.ValueString()))
	diags.Append(state.Set(ctx, plan)...)
}

func (r *fileResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	writePlanned(ctx, req.Plan, &resp.State, &resp.Diagnostics)
}

// Read compares the file on disk with the state: other content or permissions become the state, so
// the plan shows the difference and rewrites the file; a missing file is planned for creation.
func (r *fileResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state fileModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := state.ID.ValueString()
	info, err := os.Stat(name)
	if errors.Is(err, fs.ErrNotExist) {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError(fmt.Sprintf("Cannot read %s", name), err.Error())
		return
	}
	content, err := os.ReadFile(name)
	if err != nil {
		resp.Diagnostics.AddError(fmt.Sprintf("Cannot read %s", name), err.Error())
		return
	}
	state.Filename = types.StringValue(name)
	state.Content = types.StringValue(string(content))
	state.ContentSHA256 = types.StringValue(sha256Hex(string(content)))
	// Keep the configured spelling (644 or 0644) unless the bits themselves differ.
	if mode := info.Mode().Perm(); state.FilePermission.IsNull() || permission(state.FilePermission.ValueString()) != mode {
		state.FilePermission = types.StringValue(fmt.Sprintf("%04o", mode))
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
}

func (r *fileResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	writePlanned(ctx, req.Plan, &resp.State, &resp.Diagnostics)
}

func (r *fileResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state fileModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if err := os.Remove(state.ID.ValueString()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		resp.Diagnostics.AddError(fmt.Sprintf("Cannot remove %s", state.ID.ValueString()), err.Error())
	}
}

func (r *fileResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("filename"), req.ID)...)
}
