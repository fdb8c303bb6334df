import { describe, it } from "vitest";
import { dataOnInternalNetworks } from "../../../policies/stack/data-on-internal-networks";
import { UNKNOWN_STRING, runPolicy } from "../../harness/policy";
import { computedFrom, container, expectClean, expectUndecided, expectViolations, network, networkWithId, service, withLabels } from "../fixtures";

const neo4j = (props: Record<string, unknown> = {}) =>
  withLabels(container({ networksAdvanced: [{ name: "mcp-dev-backend", aliases: ["neo4j"] }], ...props }, "neo4j"), { service: "neo4j", component: "neo4j" });
const nets = [network("mcp-dev-backend", true), network("mcp-dev-frontend", false)];

describe("data-on-internal-networks", () => {
  it("passes Neo4j on the internal backend network only, unpublished, also as the provider's state shows it (networkMode default)", async () => {
    expectClean(await runPolicy(dataOnInternalNetworks, [...nets, neo4j(), container()]));
    expectClean(await runPolicy(dataOnInternalNetworks, [...nets, neo4j({ networkMode: "default" })]));
  });
  it("reports Neo4j sharing the host's network", async () => {
    expectViolations(await runPolicy(dataOnInternalNetworks, [...nets, neo4j({ networkMode: "host" })]), ["neo4j neo4j uses networkMode host"]);
  });
  it("reports Neo4j published, on a network with a route out, and on an undeclared network", async () => {
    const r = await runPolicy(dataOnInternalNetworks, [
      ...nets,
      neo4j({ ports: [{ internal: 7474, external: 7474 }], networksAdvanced: [{ name: "mcp-dev-frontend" }, { name: "pa-internal" }] }),
    ]);
    expectViolations(
      r,
      ["neo4j neo4j publishes host port 7474", "reached on the internal network by alias"],
      ["attached to network mcp-dev-frontend, which is not internal"],
      ["attached to network pa-internal, which this stack does not declare"],
    );
  });
  it("reports a data service on the default bridge", async () => {
    const db = withLabels(container({ networksAdvanced: [] }, "vector-db"), { service: "vector-db", component: "data-service" });
    expectViolations(await runPolicy(dataOnInternalNetworks, [...nets, db]), ["data-service vector-db is attached to no declared network"]);
  });
  it("can't decide while a network name computed from another resource is unknown", async () => {
    expectUndecided(await runPolicy(dataOnInternalNetworks, [...nets, computedFrom(neo4j({ networksAdvanced: [{ name: UNKNOWN_STRING }] }), { networksAdvanced: ["backend"] })]), "networks of neo4j");
  });
  it("reads a network's `internal` the provider computes (left unset, unknown in a preview) as not internal", async () => {
    const planned = { ...network("mcp-dev-backend", false), outputs: { name: "mcp-dev-backend", driver: "bridge", internal: UNKNOWN_STRING } };
    expectViolations(await runPolicy(dataOnInternalNetworks, [planned, network("mcp-dev-frontend", false), neo4j()]), ["attached to network mcp-dev-backend, which is not internal"]);
  });

  // On a Swarm, a service attaches by network ID (what Swarm stores and the provider reads back).
  const neo4jService = (id: string) =>
    withLabels(service({ taskSpec: { ...(service().props.taskSpec as object), networksAdvanceds: [{ id, aliases: ["neo4j"] }] } }, {}, "neo4j"), { service: "neo4j", component: "neo4j" });
  const swarmNets = [networkWithId("mcp-prod-backend", true), networkWithId("mcp-prod-frontend", false)];

  it("finds a Swarm service's network by its ID", async () => {
    expectClean(await runPolicy(dataOnInternalNetworks, [...swarmNets, neo4jService("mcp-prod-backend-id")]));
    expectViolations(await runPolicy(dataOnInternalNetworks, [...swarmNets, neo4jService("mcp-prod-frontend-id")]), ["attached to network mcp-prod-frontend-id, which is not internal"]);
  });

  it("in a preview, takes a Swarm service's unknown network ID for the network its task spec depends on", async () => {
    const planned = swarmNets.map((n) => ({ ...n, outputs: { ...n.props, id: UNKNOWN_STRING } }));
    expectClean(await runPolicy(dataOnInternalNetworks, [...planned, computedFrom(neo4jService(UNKNOWN_STRING), { taskSpec: ["mcp-prod-backend"] })]));
    expectViolations(
      await runPolicy(dataOnInternalNetworks, [...planned, computedFrom(neo4jService(UNKNOWN_STRING), { taskSpec: ["mcp-prod-frontend"] })]),
      ["attached to network mcp-prod-frontend, which is not internal"],
    );
    // Its task spec depends on no network: nothing stands in, so the rule can't decide.
    expectUndecided(await runPolicy(dataOnInternalNetworks, [...planned, computedFrom(neo4jService(UNKNOWN_STRING), { taskSpec: ["neo4j-config"] })]), "networks of neo4j");
  });
});
