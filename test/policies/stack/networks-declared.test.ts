import { describe, it } from "vitest";
import { networksDeclared } from "../../../policies/stack/networks-declared";
import { UNKNOWN_STRING, runPolicy } from "../../harness/policy";
import { computedFrom, container, expectClean, expectUndecided, expectViolations, network, networkWithId, service, withLabels } from "../fixtures";

const nets = [network("mcp-dev-backend", true), network("mcp-dev-frontend", false)];
const init = withLabels(container({ networkMode: "none", networksAdvanced: [] }, "gmail-volume-init"), { service: "gmail", component: "volume-init" });

// On a Swarm, a service attaches by network ID (what Swarm stores and the provider reads back).
const swarmNets = [networkWithId("mcp-prod-backend", true), networkWithId("mcp-prod-frontend", false)];
const onNetworks = (...refs: Record<string, string>[]) => service({ taskSpec: { ...(service().props.taskSpec as object), networksAdvanceds: refs } });

describe("networks-declared", () => {
  it("passes containers on the stack's networks by name, one-shot containers on none, and the provider's state (networkMode default)", async () => {
    expectClean(await runPolicy(networksDeclared, [...nets, container(), container({ networkMode: "default" }), init]));
  });

  it("reports Docker's default bridge and the host network joined by name, and a network from outside the stack", async () => {
    const r = await runPolicy(networksDeclared, [...nets, container({ networksAdvanced: [{ name: "bridge" }, { name: "host" }, { name: "pa_default" }] })]);
    expectViolations(
      r,
      ["mcp-server gmail joins network bridge", "Docker's default bridge"],
      ["mcp-server gmail joins network host", "the host's own network"],
      ["mcp-server gmail joins network pa_default, which this stack does not declare", "networks-declared's allowed list"],
    );
  });

  it("reports a network joined by an ID the stack does not declare, such as the host network's", async () => {
    const hostId = "3f5e0c3bd2a1".repeat(5) + "abcd";
    expectViolations(await runPolicy(networksDeclared, [...nets, container({ networksAdvanced: [{ name: hostId }] })]), [`joins network ${hostId}`, "by ID"]);
    expectViolations(await runPolicy(networksDeclared, [...swarmNets, onNetworks({ id: hostId })]), [`mcp-server gmail joins network ${hostId}`]);
  });

  it("reports a networkMode that names a network, and leaves bridge, none, host and container: to their own rules", async () => {
    expectViolations(await runPolicy(networksDeclared, [...nets, container({ networkMode: "pa_default", networksAdvanced: [] })]), ["joins network pa_default"]);
    expectClean(await runPolicy(networksDeclared, [...nets, container({ networkMode: "mcp-dev-frontend", networksAdvanced: [] })]));
    for (const networkMode of ["bridge", "none", "host", "container:other"]) expectClean(await runPolicy(networksDeclared, [...nets, container({ networkMode, networksAdvanced: [] })]));
  });

  it("passes a network outside the stack listed in allowed", async () => {
    expectClean(await runPolicy(networksDeclared, [...nets, container({ networksAdvanced: [{ name: "pa_default" }] })], { allowed: ["pa_default"] }));
  });

  it("finds a Swarm service's networks by ID, and in a preview takes an unknown ID for the network its task spec depends on", async () => {
    expectClean(await runPolicy(networksDeclared, [...swarmNets, onNetworks({ id: "mcp-prod-frontend-id" }, { id: "mcp-prod-backend-id" })]));
    const planned = swarmNets.map((n) => ({ ...n, outputs: { ...n.props, id: UNKNOWN_STRING } }));
    expectClean(await runPolicy(networksDeclared, [...planned, computedFrom(onNetworks({ id: UNKNOWN_STRING }), { taskSpec: ["mcp-prod-frontend"] })]));
    // Its task spec depends on no network: nothing stands in, so the rule can't decide.
    expectUndecided(await runPolicy(networksDeclared, [...planned, computedFrom(onNetworks({ id: UNKNOWN_STRING }), { taskSpec: ["gmail-config"] })]), "networks of gmail");
  });

  it("can't decide while a container's network name computed from another resource is unknown", async () => {
    expectUndecided(await runPolicy(networksDeclared, [...nets, computedFrom(container({ networksAdvanced: [{ name: UNKNOWN_STRING }] }), { networksAdvanced: ["frontend"] })]), "networks of gmail-1");
  });
});
