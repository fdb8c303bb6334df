import { describe, expect, it } from "vitest";
import { publishedRoutesTlsAuth } from "../../../policies/stack/published-routes-tls-auth";
import { UNKNOWN_STRING, runPolicy } from "../../harness/policy";
import { computedFrom, container, expectClean, expectUndecided, expectViolations, withLabels } from "../fixtures";

const frontend = (opts: { tls: boolean; auth: boolean }) => `
frontend gmail
    bind :8080${opts.tls ? " ssl crt /conf/tls.pem alpn h2,http/1.1" : ""}
${opts.auth ? "    http-request set-var(txn.client) http_auth_bearer,digest(sha256),hex,lower,map(/conf/gmail-api-keys.map)\n    http-request return status 401 content-type application/json string '{}' if { var(txn.deny) -m str 401 }" : ""}
    default_backend be_gmail
backend be_gmail
    server gmail-1 gmail-1:8080
`;
const gateway = (conf: unknown, ip = "0.0.0.0") =>
  withLabels(container({ ports: [{ internal: 8080, external: 8080, ip }], uploads: [{ file: "/usr/local/etc/haproxy/mcp-platform/haproxy.cfg", content: conf }] }, "gateway"), { service: "gateway", component: "gateway" });
const firewall = (sources: string) => ({
  type: "command:local:Command",
  name: "firewall-docker-user",
  props: { create: `as_root bash -s -- 'apply' 'DOCKER-USER' 'eth0' 'mcp-platform:prod' 'any' '8080=${sources}' <<'X'\nX\n` },
});

describe("published-routes-tls-auth", () => {
  it("passes a route published to the world with TLS and authentication", async () => {
    expectClean(await runPolicy(publishedRoutesTlsAuth, [gateway(frontend({ tls: true, auth: true })), firewall("0.0.0.0/0")]));
  });
  it("passes a route on loopback without either (dev)", async () => {
    expectClean(await runPolicy(publishedRoutesTlsAuth, [gateway(frontend({ tls: false, auth: false }), "127.0.0.1")]));
  });
  it("reports a route beyond loopback without TLS, and one without authentication", async () => {
    expectViolations(await runPolicy(publishedRoutesTlsAuth, [gateway(frontend({ tls: false, auth: true }))]), ["publishes port 8080 on 0.0.0.0 beyond loopback without TLS"]);
    expectViolations(await runPolicy(publishedRoutesTlsAuth, [gateway(frontend({ tls: true, auth: false }))]), ["publishes port 8080 on 0.0.0.0 beyond loopback without authentication"]);
  });
  it("accepts plain HTTP when the config declares a TLS-terminating load balancer in front, never missing auth", async () => {
    const declared = `# TLS is terminated in front of the gateway: the cloud load balancer\n${frontend({ tls: false, auth: true })}`;
    expectClean(await runPolicy(publishedRoutesTlsAuth, [gateway(declared)]));
  });
  it("reports a firewall that lets 0.0.0.0/0 reach a route without authentication", async () => {
    expectViolations(await runPolicy(publishedRoutesTlsAuth, [gateway(frontend({ tls: true, auth: false }), "127.0.0.1"), firewall("0.0.0.0/0")]), ["The firewall allows 0.0.0.0/0 to port 8080"]);
    expectClean(await runPolicy(publishedRoutesTlsAuth, [gateway(frontend({ tls: true, auth: false }), "127.0.0.1"), firewall("10.0.0.0/8")]));
  });
  it("reports a published port with no route that could authenticate (the runbook's nginx)", async () => {
    const nginx = "server { listen 8080; location / { proxy_pass http://gmail:8080; } }";
    expectViolations(await runPolicy(publishedRoutesTlsAuth, [gateway(nginx)]), ["with no route in its HAProxy config that could authenticate callers"]);
  });
  it("does not apply without a gateway, and can't decide while the config is unknown", async () => {
    const r = await runPolicy(publishedRoutesTlsAuth, []);
    expect(r.notApplicable.map((n) => n.reason)).toEqual(["no gateway: nothing is published through one"]);
    expectUndecided(await runPolicy(publishedRoutesTlsAuth, [computedFrom(gateway(UNKNOWN_STRING), { uploads: ["gateway-conf"] })]), "uploads of gateway");
  });
});
