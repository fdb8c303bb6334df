//go:build tools

// Package tools pins the CLI's main package so `go mod tidy` records its whole closure.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
