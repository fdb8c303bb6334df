import { describe, it } from "vitest";
import { oneShotConfined } from "../../../policies/container/one-shot-confined";
import { UNKNOWN_STRING, runPolicy } from "../../harness/policy";
import { container, expectClean, expectUndecided, expectViolations, service, withLabels } from "../fixtures";

// As components/container/workload.ts volumeInitArgs declares one.
const init = (overrides: Record<string, unknown> = {}) =>
  withLabels(
    container({
      user: "0:0",
      entrypoints: ["chown", "1000:1000", "/app/data"],
      networksAdvanced: undefined,
      networkMode: "none",
      restart: "no",
      maxRetryCount: undefined,
      healthcheck: undefined,
      capabilities: { drops: ["ALL"], adds: ["CAP_CHOWN"] },
      ...overrides,
    }),
    { service: "gmail", component: "volume-init", environment: "dev" },
  );

describe("one-shot-confined", () => {
  it("passes a volume-init container as the platform declares it, and ignores services", async () => {
    expectClean(await runPolicy(oneShotConfined, [init(), container({ networkMode: "bridge" })]));
  });
  it("reports a one-shot label on something that is not confined like one", async () => {
    expectViolations(
      await runPolicy(oneShotConfined, init({ networkMode: undefined, restart: "always", ports: [{ internal: 22, external: 2222 }], capabilities: { drops: [], adds: ["SYS_ADMIN"] } })),
      ["labelled one-shot (component volume-init)", "networkMode is unset", "restart is always", "publishes ports", "does not drop ALL", "adds SYS_ADMIN", "give it its real component"],
    );
  });
  it("holds a one-shot Swarm service to the same: no network, restart condition none", async () => {
    const confined = withLabels(service({}, { user: "0:0", capAdds: ["CHOWN"] }), { service: "gmail", component: "volume-init" });
    const taskSpec = confined.props.taskSpec as Record<string, unknown>;
    const noNetwork = { ...confined, props: { ...confined.props, taskSpec: { ...taskSpec, networksAdvanceds: [], restartPolicy: { condition: "none" } } } };
    expectClean(await runPolicy(oneShotConfined, noNetwork));
    expectViolations(await runPolicy(oneShotConfined, confined), ["joins mcp-prod-frontend (must join no network)", "restart is on-failure"]);
  });
  it("can't decide while networkMode is unknown", async () => {
    expectUndecided(await runPolicy(oneShotConfined, init({ networkMode: UNKNOWN_STRING })), "networkMode");
  });
});
