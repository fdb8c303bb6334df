import { beforeAll, describe, expect, it } from "vitest";
import type { Result } from "../harness/policy";
import { runPack } from "./program";
import { runbookStack } from "./runbook-stack";

let prod: Result;
let dev: Result;
beforeAll(async () => {
  prod = await runPack(runbookStack, "prod");
  dev = await runPack(runbookStack, "dev");
});

// A mandatory violation of `policy` whose message contains every fragment.
function reported(r: Result, policy: string, ...fragments: string[]) {
  const hit = r.mandatory.find((d) => d.policy === policy && fragments.every((f) => d.message.includes(f)));
  expect(hit, `${policy}: ${fragments.join(" … ")}\nreported: ${r.mandatory.filter((d) => d.policy === policy).map((d) => d.message).join("\n")}`).toBeDefined();
}

describe("the runbook, translated literally, under the prod policy config", () => {
  it("8082 published twice (graphiti and rag)", () => reported(prod, "unique-host-ports", "Host port 8082/tcp is published by both graphiti-mcp-server", "rag-mcp-server"));
  it("NEO4J_PASSWORD=demodemo, NEO4J_AUTH=neo4j/demodemo and the OPENAI_API_KEY placeholder", () => {
    reported(prod, "secret-env-values", "graphiti-mcp-server", "NEO4J_PASSWORD is a published default");
    reported(prod, "secret-env-values", "service neo4j", "NEO4J_AUTH is a published default");
    reported(prod, "secret-env-values", "OPENAI_API_KEY");
  });
  it("unpinned images: latest and untagged, and tags without a digest", () => {
    reported(prod, "images-pinned", "gmail-mcp-server:latest uses the latest tag");
    reported(prod, "images-pinned", "Image aquasec/trivy has no tag");
    reported(prod, "images-pinned", "neo4j:5.26 is pinned by tag (5.26) only");
  });
  it("the backup job and trivy with the Docker socket mounted", () => {
    reported(prod, "no-docker-socket", "service backup-mcp-servers", "mounts the Docker socket (/var/run/docker.sock)");
    reported(prod, "no-docker-socket", "service trivy");
  });
  it("a daily backup against the 1-hour RPO, and volumes the backup never mounts", () => {
    // The daily and the weekly run together still leave a day between backups.
    reported(prod, "backup-covers-stateful-volumes", 'Backup schedules daily ("0 2 * * *") and weekly-full', "leave up to 1440 minutes", "60-minute RPO");
    for (const v of ["neo4j_data", "neo4j_logs", "gmail-mcp-data", "rag-mcp-data"]) reported(prod, "backup-covers-stateful-volumes", `Stateful volume ${v} is not mounted read-only`);
  });
  it("no rate limit: MCP servers publish their own ports, and the load balancer has no limit_req_zone", () => {
    reported(prod, "mcp-behind-rate-limit", "MCP server gmail-mcp-server publishes host port 8080 itself");
    reported(prod, "mcp-behind-rate-limit", "The gateway nginx is given no HAProxy config with a frontend");
  });
  it("Neo4j published, on a network with a route out", () => {
    reported(prod, "data-on-internal-networks", "neo4j neo4j publishes host ports 7474, 7687");
    reported(prod, "data-on-internal-networks", "attached to network pa-internal, which is not internal");
    reported(prod, "published-ports-allowlisted", "host port 7474, which is not in the allowlist");
  });
  it("the load balancer on port 80", () => reported(prod, "no-privileged-host-ports", "privileged host port 80"));
  it("one replica of each MCP server", () => reported(prod, "mcp-min-replicas", "MCP server graphiti-mcp-server runs 1 replica; this stack needs at least 2"));
  it("containers without limits, hardening, restart policy or user", () => {
    reported(prod, "memory-limit", "service rag-mcp-server (mcp-server) has no memory limit");
    reported(prod, "cpu-limit", "service neo4j");
    reported(prod, "capabilities-restricted", "keeps Docker's default capabilities");
    reported(prod, "no-new-privileges", "service health-monitor");
    reported(prod, "read-only-root-filesystem", "service gmail-mcp-server");
    reported(prod, "non-root-user", "graphiti-mcp-server (mcp-server) runs as root");
    reported(prod, "restart-policy", 'restart policy "no"');
    reported(prod, "healthcheck", "service nginx");
    reported(prod, "bind-mounts-read-only", "mounts host path /backup/mcp-servers writable");
    reported(prod, "no-default-bridge", "service trivy", "declares no network");
  });
  it("keeps what the runbook gets right: json-file logs rotated at 10m × 3, Neo4j's read-only exception", () => {
    expect(prod.mandatory.filter((d) => d.policy === "logs-rotated")).toEqual([]);
    expect(prod.mandatory.filter((d) => d.policy === "read-only-root-filesystem" && d.message.includes("service neo4j"))).toEqual([]);
  });
  it("ports on 0.0.0.0: allowed in prod with its firewall reason, refused in dev", () => {
    expect(prod.mandatory.filter((d) => d.policy === "ports-bound-to-interface")).toEqual([]);
    reported(dev, "ports-bound-to-interface", "publishes port 8080 on every host interface");
  });
});
