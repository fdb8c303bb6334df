// The program's graphiti settings must be the ones graphiti 1.0.1's MCP server reads. It reads them with
// pydantic-settings (environment over config/config.yaml, nested keys joined by `__`, case-insensitive),
// and its baked config.yaml interpolates the Neo4j and OpenAI variables (getzep/graphiti mcp_server,
// src/config/schema.py and config/config.yaml at 1.0.1). The end-to-end stand-in reads them the same way.
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { MCP_COMMON_ENV, platformSchema } from "../../../components/config/schema";
import { mcpServerSpec } from "../../../components/mcp-server/spec";
import { networkRef } from "../../harness/fixtures";

// What graphiti 1.0.1 reads from the environment: its settings' top-level sections (SERVER__*,
// DATABASE__*, LLM__*, EMBEDDER__*, GRAPHITI__*) and the variables its config.yaml interpolates.
const SECTIONS = ["SERVER__", "DATABASE__", "LLM__", "EMBEDDER__", "GRAPHITI__"];
const INTERPOLATED = ["NEO4J_URI", "NEO4J_USER", "NEO4J_PASSWORD", "NEO4J_DATABASE", "OPENAI_API_KEY", "GRAPHITI_GROUP_ID", "SEMAPHORE_LIMIT", "CONFIG_PATH", "GRAPHITI_TELEMETRY_ENABLED"];
const readByGraphiti = (name: string) => SECTIONS.some((s) => name.startsWith(s)) || INTERPOLATED.includes(name);
// Settings of graphiti 0.x or of the runbook that 1.0.1 no longer reads.
const NOT_READ = ["MODEL_NAME", "LLM_MODEL", "NEO4J_USERNAME"];

const config = platformSchema.parse({});
const graphiti = config.services.graphiti!;
const spec = mcpServerSpec("graphiti", graphiti, {
  image: "img",
  networks: { frontend: networkRef("front"), backend: networkRef("back") },
  secrets: { openaiApiKey: pulumi.secret("sk") },
  dataServiceUrls: {},
  neo4j: { uri: "bolt://neo4j:7687", user: "neo4j", password: pulumi.secret("pw") },
});
const names = [...Object.keys(spec.env), ...Object.keys(spec.secretEnv)];
// Common to every PA ecosystem server (its compose file): graphiti ignores them.
const common = new Set([...Object.keys(MCP_COMMON_ENV), "MCP_SERVER_NAME", "MCP_SERVER_PORT", "PORT", "MCP_SERVER_PATH", "MCP_PATH", "MCP_HEALTH_CHECK_PATH"]);

describe("graphiti 1.0.1's settings", () => {
  it("are the only graphiti-specific variables the program sets", () => {
    const specific = names.filter((n) => !common.has(n));
    expect(specific.filter((n) => !readByGraphiti(n))).toEqual([]);
    for (const n of NOT_READ) expect(names).not.toContain(n);
  });

  it("select the external Neo4j (the baked config says FalkorDB) and give it its address and credentials", () => {
    expect(spec.env.DATABASE__PROVIDER).toBe("neo4j");
    expect(spec.env.NEO4J_URI).toBe("bolt://neo4j:7687");
    expect(spec.env.NEO4J_USER).toBe("neo4j");
    expect(Object.keys(spec.secretEnv).sort()).toEqual(["NEO4J_PASSWORD", "OPENAI_API_KEY"]);
  });

  it("name the model as LLM__MODEL, turn telemetry off, and serve FastMCP's /mcp on port 8000", () => {
    expect(spec.env.LLM__MODEL).toBe("gpt-4.1-mini");
    expect(spec.env.GRAPHITI_TELEMETRY_ENABLED).toBe("false");
    expect([graphiti.port, graphiti.path]).toEqual([8000, "/mcp"]);
    expect(spec.command).toEqual(["/app/mcp/.venv/bin/python", "main.py"]);
  });
});
