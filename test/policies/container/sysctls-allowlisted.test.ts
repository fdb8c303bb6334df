import { describe, it } from "vitest";
import { sysctlsAllowlisted } from "../../../policies/container/sysctls-allowlisted";
import { UNKNOWN_STRING, runPolicy } from "../../harness/policy";
import { computedFrom, container, expectClean, expectUndecided, expectViolations, service } from "../fixtures";

describe("sysctls-allowlisted", () => {
  it("passes no sysctls, and the safe ones", async () => {
    expectClean(await runPolicy(sysctlsAllowlisted, [container(), service(), container({ sysctls: { "net.ipv4.ip_unprivileged_port_start": "80" } })]));
  });
  it("reports other kernel parameters, on a container and a Swarm service", async () => {
    expectViolations(await runPolicy(sysctlsAllowlisted, container({ sysctls: { "net.ipv4.ip_forward": "1" } })), ["sets kernel parameter net.ipv4.ip_forward"]);
    expectViolations(await runPolicy(sysctlsAllowlisted, service({}, { sysctl: { "kernel.msgmax": "65536" } })), ["kernel.msgmax"]);
  });
  it("takes more from config", async () => {
    expectClean(await runPolicy(sysctlsAllowlisted, container({ sysctls: { "net.core.somaxconn": "1024" } }), { allowed: ["net.core.somaxconn"] }));
  });
  it("can't decide while they are computed and unknown", async () => {
    expectUndecided(await runPolicy(sysctlsAllowlisted, computedFrom(container({ sysctls: UNKNOWN_STRING }), { sysctls: ["tuning"] })), "sysctls");
  });
  it("honours an exception with a reason", async () => {
    expectClean(await runPolicy(sysctlsAllowlisted, container({ sysctls: { "net.ipv4.ip_forward": "1" } }), { exceptions: [{ service: "gmail", reason: "a VPN sidecar that routes (ticket NET-3)" }] }));
  });
});
