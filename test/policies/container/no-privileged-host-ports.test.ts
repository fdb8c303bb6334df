import { describe, it } from "vitest";
import { noPrivilegedHostPorts } from "../../../policies/container/no-privileged-host-ports";
import { UNKNOWN_NUMBER, runPolicy } from "../../harness/policy";
import { container, expectClean, expectUndecided, expectViolations, service } from "../fixtures";

describe("no-privileged-host-ports (CIS 5.8)", () => {
  it("passes ports from 1024 up", async () => {
    expectClean(await runPolicy(noPrivilegedHostPorts, container({ ports: [{ internal: 80, external: 8080, ip: "127.0.0.1" }] })));
  });
  it("reports a host port below 1024, on a container and a service", async () => {
    expectViolations(await runPolicy(noPrivilegedHostPorts, container({ ports: [{ internal: 80, external: 80 }] })), ["privileged host port 80", "1024 or above"]);
    expectViolations(await runPolicy(noPrivilegedHostPorts, service({ endpointSpec: { ports: [{ targetPort: 443, publishedPort: 443 }] } })), ["port 443"]);
  });
  it("can't decide while the port is unknown", async () => {
    expectUndecided(await runPolicy(noPrivilegedHostPorts, container({ ports: [{ internal: 80, external: UNKNOWN_NUMBER }] })), "ports");
  });
});
