// The operations runbook (../shared/reference/operations-runbook.md) translated literally into the
// resources a Pulumi program would declare for it, with the PA compose file's details where the runbook
// is silent (platform-facts.md). Each fault is the runbook's own, not invented here.
import { CONTAINER, NETWORK, REMOTE_IMAGE, VOLUME } from "../../policies/lib/workload";
import type { TestResource } from "../harness/policy";
import { label } from "./fixtures";

const JSON_FILE_LOGS = { logDriver: "json-file", logOpts: { "max-size": "10m", "max-file": "3", labels: "service,component,network" } };
const PA_INTERNAL = [{ name: "pa-internal" }];
const labelled = (service: string, component: string) => label({ service, component, environment: "prod" });

function composeService(name: string, component: string, props: Record<string, unknown>): TestResource {
  return { type: CONTAINER, name, props: { labels: labelled(name, component), networksAdvanced: PA_INTERNAL, ...JSON_FILE_LOGS, ...props } };
}

// Runbook "Load Balancer Configuration": nginx in front of gmail, with no rate limit.
export const RUNBOOK_NGINX = `upstream gmail_mcp {
    server gmail-mcp-server-1:8080;
    server gmail-mcp-server-2:8080;
    server gmail-mcp-server-3:8080;
}

server {
    listen 80;
    location / {
        proxy_pass http://gmail_mcp;
    }
}
`;

export const runbookStack: TestResource[] = [
  // The compose file's one bridge network, not internal.
  { type: NETWORK, name: "pa-internal", props: { name: "pa-internal", driver: "bridge", internal: false } },
  ...["neo4j_data", "neo4j_logs", "gmail-mcp-data", "rag-mcp-data"].map((name) => ({
    type: VOLUME,
    name,
    props: { name, labels: label({ "dev.mcp-platform.backup": "true" }) },
  })),
  // `docker-compose pull` / `build`: unpinned images.
  ...["gmail-mcp-server:latest", "neo4j", "aquasec/trivy", "nginx"].map((name) => ({ type: REMOTE_IMAGE, name: `${name.split(":")[0]}-image`, props: { name } })),
  composeService("neo4j", "neo4j", {
    image: "neo4j:5.26",
    envs: ["NEO4J_AUTH=neo4j/demodemo"],
    // "Neo4j published": the browser and bolt on the host.
    ports: [{ internal: 7474, external: 7474 }, { internal: 7687, external: 7687 }],
    mounts: [{ type: "volume", source: "neo4j_data", target: "/data" }, { type: "volume", source: "neo4j_logs", target: "/logs" }],
    healthcheck: { tests: ["CMD", "curl", "-f", "localhost:7474/browser/"] },
  }),
  composeService("gmail-mcp-server", "mcp-server", {
    image: "gmail-mcp-server:latest",
    envs: ["GMAIL_OAUTH_PATH=/app/config/gcp-oauth.keys.json", "GMAIL_CREDENTIALS_PATH=/app/data/credentials.json", "MCP_SERVER_NAME=gmail-tools", "MCP_SERVER_PORT=8080"],
    ports: [{ internal: 8080, external: 8080 }],
    mounts: [
      { type: "volume", source: "gmail-mcp-data", target: "/app/data" },
      { type: "bind", source: "/opt/ai-PA/gmail-mcp/gcp-oauth.keys.json", target: "/app/config/gcp-oauth.keys.json", readOnly: true },
    ],
    // Vertical scaling: the only service with limits.
    memory: 2048,
    memoryReservation: 1024,
    cpus: "2.0",
    healthcheck: { tests: ["CMD", "curl", "localhost:8080/health"] },
  }),
  composeService("graphiti-mcp-server", "mcp-server", {
    image: "graphiti-mcp-server:latest",
    user: "root",
    envs: ["NEO4J_URI=bolt://neo4j:7687", "NEO4J_USER=neo4j", "NEO4J_PASSWORD=demodemo", "OPENAI_API_KEY=your_openai_key", "MCP_SERVER_NAME=graphiti-tools", "MCP_SERVER_PORT=8082"],
    ports: [{ internal: 8082, external: 8082 }],
    healthcheck: { tests: ["CMD", "curl", "localhost:8082/health"] },
  }),
  composeService("rag-mcp-server", "mcp-server", {
    image: "rag-mcp-server:latest",
    envs: ["VECTOR_DB_URL=http://vector-db:8080", "DOCUMENT_STORE_URL=http://document-store:8080", "EMBEDDING_MODEL=text-embedding-ada-002", "MCP_SERVER_NAME=rag-tools", "MCP_SERVER_PORT=8082"],
    // Runbook: "curl http://localhost:8082/health" for rag too — the same host port as graphiti.
    ports: [{ internal: 8082, external: 8082 }],
    mounts: [{ type: "volume", source: "rag-mcp-data", target: "/app/data" }],
    healthcheck: { tests: ["CMD", "curl", "localhost:8082/health"] },
  }),
  composeService("health-monitor", "health-monitor", {
    image: "health-monitor:latest",
    envs: ["PORT=8083", "HEALTH_CHECK_INTERVAL=30", "NODE_ENV=production"],
    ports: [{ internal: 8083, external: 8083 }],
    healthcheck: { tests: ["CMD", "curl", "localhost:8083/health"] },
  }),
  composeService("nginx", "gateway", {
    image: "nginx",
    ports: [{ internal: 80, external: 80 }],
    uploads: [{ file: "/etc/nginx/conf.d/default.conf", content: RUNBOOK_NGINX }],
  }),
  // backup-mcp-servers.sh from cron: `docker exec neo4j neo4j-admin dump`, `docker cp` — the Docker socket.
  composeService("backup-mcp-servers", "backup", {
    image: "docker:latest",
    envs: [
      `BACKUP_SCHEDULES=${JSON.stringify([{ name: "daily", cron: "0 2 * * *" }, { name: "weekly-full", cron: "0 1 * * 0" }])}`,
      "BACKUP_RPO_MINUTES=60",
    ],
    mounts: [
      { type: "bind", source: "/var/run/docker.sock", target: "/var/run/docker.sock" },
      { type: "bind", source: "/backup/mcp-servers", target: "/backup/mcp-servers" },
    ],
    networksAdvanced: [],
  }),
  // Security audits: trivy with the Docker socket.
  composeService("trivy", "security-audit", {
    image: "aquasec/trivy",
    mounts: [{ type: "bind", source: "/var/run/docker.sock", target: "/var/run/docker.sock" }],
    networksAdvanced: [],
  }),
];
