import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { platformSchema } from "../../../components/config/schema";
import { mcpServerEnv, mcpServerSpec, needsBackend, nodeOptions } from "../../../components/mcp-server/spec";
import { networkRef } from "../../harness/fixtures";

const config = platformSchema.parse({
  dataServices: {
    "vector-db": { image: "qdrant/qdrant:v1.12.0", port: 6333, healthcheck: ["CMD", "true"], memoryMb: 512, cpus: 1, dataVolume: { path: "/qdrant/storage" } },
  },
  services: { rag: { uses: { VECTOR_DB_URL: "vector-db" } } },
});
const inputs = {
  image: "img",
  networks: { frontend: networkRef("front"), backend: networkRef("back") },
  secrets: { openaiApiKey: pulumi.secret("sk"), gmailOauthKeys: pulumi.secret("{}") },
  dataServiceUrls: { "vector-db": "http://vector-db:6333" },
  neo4j: { uri: "bolt://neo4j:7687", user: "neo4j", password: pulumi.secret("pw") },
};

describe("MCP server", () => {
  it.each([
    [256, "--max-old-space-size=192"],
    [1024, "--max-old-space-size=768"],
    [2048, "--max-old-space-size=1536"],
  ])("gives Node a heap of 75%% of a %i MB limit", (mb, expected) => {
    expect(nodeOptions(mb)).toBe(expected);
  });

  it("sets NODE_OPTIONS only for Node servers", () => {
    expect(mcpServerEnv("gmail", config.services.gmail!, inputs).NODE_OPTIONS).toBe("--max-old-space-size=192");
    expect(mcpServerEnv("graphiti", config.services.graphiti!, inputs).NODE_OPTIONS).toBeUndefined();
  });

  it("tells each server its port and paths, as the PA compose file does", () => {
    const env = mcpServerEnv("rag", config.services.rag!, inputs);
    expect(env).toMatchObject({ MCP_SERVER_PORT: "8082", PORT: "8082", MCP_SERVER_PATH: "/mcp", MCP_HEALTH_CHECK_PATH: "/health", MCP_SERVER_HOST: "0.0.0.0" });
  });

  it("wires a data service's URL into the env var that uses it", () => {
    expect(mcpServerEnv("rag", config.services.rag!, inputs).VECTOR_DB_URL).toBe("http://vector-db:6333");
  });

  it("wires Neo4j's URI and user as env and its password as a secret", () => {
    const spec = mcpServerSpec("graphiti", config.services.graphiti!, inputs);
    expect(spec.env.NEO4J_URI).toBe("bolt://neo4j:7687");
    expect(spec.env.NEO4J_USER).toBe("neo4j");
    expect(Object.keys(spec.secretEnv).sort()).toEqual(["NEO4J_PASSWORD", "OPENAI_API_KEY"]);
    expect(spec.env).not.toHaveProperty("NEO4J_PASSWORD");
    expect(spec.env).not.toHaveProperty("OPENAI_API_KEY");
  });

  it("writes the Gmail OAuth keys as a secret file at GMAIL_OAUTH_PATH", () => {
    const spec = mcpServerSpec("gmail", config.services.gmail!, inputs);
    expect(spec.files.map((f) => [f.path, f.secret])).toEqual([[config.services.gmail!.env.GMAIL_OAUTH_PATH, true]]);
  });

  it("joins the backend network only when it talks to Neo4j or a data service", () => {
    expect(needsBackend(config.services.graphiti!)).toBe(true);
    expect(needsBackend(config.services.rag!)).toBe(true);
    expect(needsBackend(config.services.gmail!)).toBe(false);
    expect(mcpServerSpec("gmail", config.services.gmail!, inputs).networks.map((n) => n.network)).toEqual(["frontend"]);
  });

  it("asks for per-replica aliases on the frontend only, where the gateway reaches each replica", () => {
    const nets = mcpServerSpec("graphiti", config.services.graphiti!, inputs).networks;
    expect(nets.map((n) => [n.network, n.replicaAliases ?? false])).toEqual([["frontend", true], ["backend", false]]);
  });

  it("publishes nothing itself and checks its health on its health path", () => {
    const spec = mcpServerSpec("graphiti", config.services.graphiti!, inputs);
    expect(spec.ports).toEqual([]);
    expect(spec.healthcheck.test.join(" ")).toContain("/dev/tcp/127.0.0.1/8000 && printf 'GET /health ");
  });

  it("checks the presets' servers with bash (node:20-slim has neither curl nor wget, and node -e costs 50 MB)", () => {
    for (const name of ["gmail", "rag", "graphiti"]) {
      expect(mcpServerSpec(name, config.services[name]!, inputs).healthcheck.test.slice(0, 3)).toEqual(["CMD", "bash", "-c"]);
    }
  });

  it.each([
    [{ runtime: "node" }, "node"],
    [{ runtime: "python" }, "python3"],
    [{}, "wget"],
    [{ runtime: "node", healthcheckTool: "wget" }, "wget"],
  ])("checks a server with %j using %s when healthcheckTool is unset or says so", (settings, tool) => {
    const custom = platformSchema.parse({ services: { custom: { image: "img", port: 9000, publishedPort: 9000, memoryMb: 256, cpus: 0.5, ...settings } } });
    expect(mcpServerSpec("custom", custom.services.custom!, inputs).healthcheck.test[1]).toBe(tool);
  });

  it("names the key and the choices for an unknown healthcheck tool", () => {
    const result = platformSchema.safeParse({ services: { gmail: { healthcheckTool: "curl" } } });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]).toMatchObject({ path: ["services", "gmail", "healthcheckTool"], message: "must be bash, wget, node or python" });
  });
});
