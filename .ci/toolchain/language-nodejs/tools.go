//go:build tools

// Package tools pins the language host's main package so `go mod tidy` records its closure.
package tools

import _ "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs"
