// The policy pack. Constructing a PolicyPack starts its gRPC server for the Pulumi CLI, so this file
// does that and nothing else; tests and tools import ./policies instead.
import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME, policies } from "./policies";

new PolicyPack(PACK_NAME, { policies, enforcementLevel: "mandatory" });
