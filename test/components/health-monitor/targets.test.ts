import { describe, expect, it } from "vitest";
import { platformSchema } from "../../../components/config/schema";
import { healthTargets, monitorConfigFile, renderMonitorConfig } from "../../../components/health-monitor/targets";

describe("health monitor targets", () => {
  it("derives one target per enabled MCP server from its alias, port and health path", () => {
    const c = platformSchema.parse({});
    expect(healthTargets(c.services, c.alerts).map((t) => t.url)).toEqual([
      "http://gmail:8080/health",
      "http://graphiti:8000/health",
      "http://rag:8082/health",
    ]);
  });

  it("follows the stack: an added server is watched, a disabled one is not", () => {
    const c = platformSchema.parse({
      services: {
        rag: { enabled: false },
        notes: { image: "example/notes:1", port: 9000, healthPath: "/healthz", publishedPort: 9100, memoryMb: 128, cpus: 0.25 },
      },
    });
    expect(healthTargets(c.services, c.alerts).map((t) => t.name)).toEqual(["gmail", "graphiti", "notes"]);
    expect(healthTargets(c.services, c.alerts).find((t) => t.name === "notes")!.url).toBe("http://notes:9000/healthz");
  });

  it("carries the runbook's alert thresholds under the runbook's names", () => {
    const c = platformSchema.parse({ alerts: { responseTimeMs: 2500 } });
    const file = monitorConfigFile(c.services, c.alerts, 30);
    expect(file.alertThresholds).toEqual({ response_time: 2500, error_rate: 0.1, consecutive_failures: 3, memory_usage: 0.9, cpu_usage: 0.8 });
    expect(JSON.parse(renderMonitorConfig(file))).toEqual(file);
  });
});
