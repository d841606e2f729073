// Command terraform-provider-dharma serves Dharma's own Terraform/OpenTofu provider over the plugin
// protocol. It exists because the Go module proxy serves no usable release of the upstream random,
// null, local or postgresql providers (see scripts/tools/README.md).
package main

import (
	"context"
	"flag"
	"log"

	"github.com/dharma-platform/terraform-provider-dharma/internal/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
)

// version is the release the filesystem mirror publishes it as (lib/tofu-tools.ts PINNED_PROVIDERS).
var version = "0.1.0"

func main() {
	debug := flag.Bool("debug", false, "run with support for debuggers such as delve")
	flag.Parse()
	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address: "registry.opentofu.org/dharma/dharma",
		Debug:   *debug,
	})
	if err != nil {
		log.Fatal(err)
	}
}
