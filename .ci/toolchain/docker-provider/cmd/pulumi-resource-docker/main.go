// Command pulumi-resource-docker is the provider plugin, with the generated schema embedded.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"

	"github.com/terraform-providers/terraform-provider-docker/mcp-platform-bridge/info"
)

// schema.json is written by pulumi-tfgen-docker just before this command is built.
//
//go:embed schema.json
var schema []byte

func main() {
	tfbridge.Main("docker", info.Version, info.Provider(), schema)
}
