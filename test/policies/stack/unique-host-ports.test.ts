import { describe, it } from "vitest";
import { uniqueHostPorts } from "../../../policies/stack/unique-host-ports";
import { UNKNOWN_NUMBER, runPolicy } from "../../harness/policy";
import { computedFrom, container, expectClean, expectUndecided, expectViolations, service, withLabels } from "../fixtures";

const publishing = (svc: string, external: unknown, ip = "127.0.0.1") =>
  withLabels(container({ ports: [{ internal: 8000, external, ip }] }, `${svc}-1`), { service: svc, component: "mcp-server" });

describe("unique-host-ports", () => {
  it("passes distinct ports, and one port on two distinct addresses", async () => {
    expectClean(await runPolicy(uniqueHostPorts, [publishing("graphiti", 8082), publishing("rag", 8084), publishing("a", 9000, "10.0.0.1"), publishing("b", 9000, "10.0.0.2")]));
  });
  it("reports the runbook's 8082 for both graphiti and rag, naming both", async () => {
    expectViolations(await runPolicy(uniqueHostPorts, [publishing("graphiti", 8082), publishing("rag", 8082)]), [
      "Host port 8082/tcp is published by both graphiti (graphiti-1) and rag (rag-1)",
      "another publishedPort",
    ]);
  });
  it("counts 0.0.0.0 as clashing with every address, and Swarm services too", async () => {
    expectViolations(await runPolicy(uniqueHostPorts, [publishing("graphiti", 8082, "0.0.0.0"), publishing("rag", 8082, "127.0.0.1")]), ["8082"]);
    expectViolations(await runPolicy(uniqueHostPorts, [publishing("graphiti", 8080), service({ endpointSpec: { ports: [{ targetPort: 8080, publishedPort: 8080 }] } })]), ["8080"]);
  });
  it("can't decide on a port that is unknown, and still reports the known clashes", async () => {
    expectUndecided(await runPolicy(uniqueHostPorts, [computedFrom(publishing("graphiti", UNKNOWN_NUMBER), { ports: ["port-allocation"] }), publishing("rag", 8082)]), "ports of graphiti-1");
  });
});
