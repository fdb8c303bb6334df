// Command pulumi-tfgen-docker writes the provider's Pulumi schema (`schema --out DIR`).
package main

import (
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfgen"

	"github.com/terraform-providers/terraform-provider-docker/mcp-platform-bridge/info"
)

func main() {
	tfgen.Main("docker", info.Version, info.Provider())
}
