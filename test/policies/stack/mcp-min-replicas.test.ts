import { describe, it } from "vitest";
import { mcpMinReplicas } from "../../../policies/stack/mcp-min-replicas";
import { runPolicy } from "../../harness/policy";
import { container, expectClean, expectViolations, service, withLabels } from "../fixtures";

const replica = (svc: string, i: number) => withLabels(container({}, `${svc}-${i}`), { service: svc, component: "mcp-server" });
const init = withLabels(container({}, "gmail-volume-init"), { service: "gmail", component: "volume-init" });

describe("mcp-min-replicas", () => {
  it("passes two replicas per MCP server (the default minimum), counting containers by service label", async () => {
    expectClean(await runPolicy(mcpMinReplicas, [replica("gmail", 1), replica("gmail", 2), replica("rag", 1), replica("rag", 2), init]));
  });
  it("reports a server below the minimum, and does not count its volume-init container", async () => {
    expectViolations(await runPolicy(mcpMinReplicas, [replica("gmail", 1), init, replica("rag", 1), replica("rag", 2)]), [
      "MCP server gmail runs 1 replica; this stack needs at least 2",
      "services.gmail.replicas",
    ]);
  });
  it("takes minReplicas from config (1 in dev) and reads a Swarm service's replicas", async () => {
    expectClean(await runPolicy(mcpMinReplicas, [replica("gmail", 1)], { minReplicas: 1 }));
    expectClean(await runPolicy(mcpMinReplicas, [service()]));
    expectViolations(await runPolicy(mcpMinReplicas, [service({ mode: { replicated: { replicas: 1 } } })], { minReplicas: 3 }), ["gmail runs 1 replica"]);
  });
});
