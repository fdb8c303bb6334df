import { describe, it } from "vitest";
import { portsBoundToInterface } from "../../../policies/container/ports-bound-to-interface";
import { UNKNOWN_STRING, runPolicy } from "../../harness/policy";
import { container, expectClean, expectUndecided, expectViolations, service } from "../fixtures";

const published = (ip?: string) => container({ ports: [{ internal: 8083, external: 8083, ...(ip === undefined ? {} : { ip }) }] });

describe("ports-bound-to-interface (CIS 5.14)", () => {
  it("passes a port bound to one interface", async () => {
    expectClean(await runPolicy(portsBoundToInterface, [published("127.0.0.1"), published("10.0.0.5")]));
  });
  it("reports 0.0.0.0, ::, no address, and a Swarm published port (Swarm can't bind one)", async () => {
    for (const ip of ["0.0.0.0", "::", undefined])
      expectViolations(await runPolicy(portsBoundToInterface, published(ip)), ["publishes port 8083 on every host interface", "publishAddress"]);
    expectViolations(await runPolicy(portsBoundToInterface, service({ endpointSpec: { ports: [{ targetPort: 8080, publishedPort: 8080 }] } })), ["Swarm can't bind one"]);
  });
  it("allows every interface only when config says so with a reason", async () => {
    expectClean(await runPolicy(portsBoundToInterface, published("0.0.0.0"), { allowAllInterfaces: true, reason: "DOCKER-USER filters sources" }));
    expectViolations(await runPolicy(portsBoundToInterface, published("0.0.0.0"), { allowAllInterfaces: true }), ["every host interface"]);
  });
  it("can't decide while the address is unknown", async () => {
    expectUndecided(await runPolicy(portsBoundToInterface, published(UNKNOWN_STRING)), "ports");
  });
});

describe("ports-bound-to-interface: publishAllPorts", () => {
  it("reports publishing every exposed port, which binds every interface", async () => {
    expectViolations(await runPolicy(portsBoundToInterface, container({ publishAllPorts: true })), ["on every host interface"]);
  });
});
