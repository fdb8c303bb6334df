// The dashboard in a real browser: Debian's chromium, headless, driven by playwright-core. It must render
// every service under the monitor's CSP (no inline script runs), and follow a target going down over the
// WebSocket without a reload. A screenshot is kept in test/artifacts/ (gitignored).
import * as fs from "fs";
import * as path from "path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, type TestContext } from "vitest";
import { platformSchema } from "../../../../components/config/schema";
import { gatewayModel } from "../../../../components/gateway/model";
import { ROOT } from "../../../harness/stack-files";
import { selfSigned, startGateway, trustingFetch, type RunningGateway } from "../../gateway/harness";
import { findHaproxy, freePorts } from "../../gateway/stubs";
import { hasTool, skipOrFail } from "../../../harness/tools";
import { compileApp, mcpServer, startMonitor, tempDir, type RunningMonitor } from "./fleet";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = path.join(ROOT, "test/artifacts");
const problem = fs.existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is not installed (apt-get install chromium)`;

let dist: string;
let dir: string;
let monitor: RunningMonitor;
let context: BrowserContext | undefined;
let page: Page;
let betaHealth = 200;
const servers: { close(): Promise<void> }[] = [];
const consoleErrors: string[] = [];
beforeAll(async () => {
  if (problem || !hasTool("node")) return;
  dist = compileApp();
  dir = tempDir("monitor-dashboard-");
  const alpha = await mcpServer({ tools: 3 });
  const beta = await mcpServer({ tools: 1, healthStatus: () => betaHealth });
  servers.push(alpha, beta);
  const statusFile = path.join(dir, "status.json");
  fs.writeFileSync(statusFile, JSON.stringify({ lastVerifiedBackup: new Date(Date.now() - 20 * 60_000).toISOString(), snapshotId: "9e8d7c6b" }));
  const replica = (name: string, service: string, url: string) => ({
    name,
    service,
    kind: "mcp-replica" as const,
    role: "service" as const,
    checks: [
      { type: "http" as const, url: `${url}/health` },
      { type: "mcp" as const, url: `${url}/mcp` },
    ],
  });
  monitor = await startMonitor(
    dist,
    {
      intervalSeconds: 1,
      alertThresholds: { response_time: 2000, error_rate: 0.5, consecutive_failures: 2, memory_usage: 0.9, cpu_usage: 0.8 },
      targets: [replica("alpha-1", "alpha", alpha.url), replica("alpha-2", "alpha", alpha.url), replica("beta-1", "beta", beta.url)],
      backup: { statusFile, rpoMinutes: 60 },
    },
    { dir },
  );
  context = await chromium.launchPersistentContext(path.join(dir, "profile"), {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport: { width: 1280, height: 800 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on("console", (m) => void (m.type() === "error" && consoleErrors.push(m.text())));
  page.on("pageerror", (e) => void consoleErrors.push(e.message));
}, 120_000);

const HAPROXY = findHaproxy();
let gateway: RunningGateway | undefined;
let gatewayContext: BrowserContext | undefined;

afterAll(async () => {
  await gatewayContext?.close();
  await gateway?.stop();
  await context?.close();
  await monitor?.stop();
  for (const s of servers) await s.close();
  if (dist) fs.rmSync(dist, { recursive: true, force: true });
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe("the dashboard in headless Chromium", () => {
  it("renders each service, its replicas, latency, error rate, last check and the backup age, with no CSP violation", async (ctx: TestContext) => {
    skipOrFail(ctx, problem);
    const res = await page.goto(`${monitor.url}/dashboard`);
    expect(res!.headers()["content-security-policy"]).toMatch(/script-src 'self'/);
    await page.waitForSelector('tr[data-service="alpha"][data-status="healthy"]', { timeout: 20_000 });
    await page.waitForSelector('tr[data-service="beta"][data-status="healthy"]', { timeout: 20_000 });
    await page.waitForSelector("#live.on", { timeout: 10_000 });
    expect(await page.locator('tr[data-service="alpha"] td').nth(2).textContent()).toBe("2/2");
    expect(await page.locator('tr[data-target="alpha-1"] td').nth(3).textContent()).toMatch(/^\d+ ms$/);
    expect(await page.locator('tr[data-target="alpha-1"] td').nth(4).textContent()).toBe("0%");
    expect(await page.locator('tr[data-target="alpha-1"] td').nth(5).textContent()).toMatch(/^\d+ s ago$/);
    expect(await page.locator('tr[data-target="alpha-1"] td').nth(6).textContent()).toBe("3");
    expect(await page.locator("#backup-age").textContent()).toBe("20 min");
    expect(await page.locator("#overall").getAttribute("data-status")).toBe("healthy");
    // Every script on the page is a file: nothing inline for the CSP to block (or to allow).
    expect(await page.locator("script:not([src])").count()).toBe(0);
    expect(consoleErrors).toEqual([]);
  });

  it("shows a target going down and its alert without a reload, over the WebSocket", async (ctx: TestContext) => {
    skipOrFail(ctx, problem);
    await page.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 42));
    betaHealth = 503;
    await page.waitForSelector('tr[data-service="beta"][data-status="unhealthy"]', { timeout: 20_000 });
    await page.waitForSelector('#alerts li[data-alert="service_down"][data-target="beta-1"]', { timeout: 20_000 });
    expect(await page.locator('tr[data-target="beta-1"] td.detail').textContent()).toMatch(/^http \/health: HTTP 503$/);
    expect(await page.locator("#overall").getAttribute("data-status")).toBe("unhealthy");
    expect(await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(42);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const shot = path.join(ARTIFACTS, "health-monitor-dashboard.png");
    await page.screenshot({ path: shot, fullPage: true });
    expect(fs.statSync(shot).size).toBeGreaterThan(10_000);
    expect(consoleErrors).toEqual([]);
  });

  it("works through the real gateway: HAProxy with TLS and the monitor's key, the page, its API and its WebSocket", async (ctx: TestContext) => {
    skipOrFail(ctx, problem ?? HAPROXY.problem);
    const KEY = "ops-dashboard-key-0123456789abcdefghijklmnop";
    const [port, metricsPort] = (await freePorts(2)) as [number, number];
    const c = platformSchema.parse({
      gateway: { tls: { selfSigned: true }, publicHost: "127.0.0.1", metricsPort },
      services: { gmail: { enabled: false }, graphiti: { enabled: false }, rag: { enabled: false } },
      healthMonitor: { publishedPort: port, auth: { mode: "apiKey", clients: ["ops"] } },
    });
    const model = gatewayModel(c);
    model.routes[0]!.peers = [`127.0.0.1:${monitor.port}`];
    const cert = selfSigned();
    gateway = await startGateway(HAPROXY.bin!, model, { tlsPem: cert.pem, apiKeys: { "health-monitor": { ops: KEY } } });
    // An operator's browser: the key as the Basic password the monitor's route accepts, the self-signed
    // certificate accepted.
    gatewayContext = await chromium.launchPersistentContext(path.join(dir, "profile-gateway"), {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
      ignoreHTTPSErrors: true,
      httpCredentials: { username: "ops", password: KEY },
    });
    const p = gatewayContext.pages()[0] ?? (await gatewayContext.newPage());
    const errors: string[] = [];
    p.on("console", (m) => void (m.type() === "error" && errors.push(m.text())));
    const res = await p.goto(`https://127.0.0.1:${port}/dashboard`);
    expect(res!.status()).toBe(200);
    await p.waitForSelector('tr[data-service="alpha"][data-status="healthy"]', { timeout: 20_000 });
    await p.waitForSelector("#live.on", { timeout: 10_000 });
    betaHealth = 200;
    await p.waitForSelector('tr[data-service="beta"][data-status="healthy"]', { timeout: 20_000 });
    expect(errors).toEqual([]);
    // Without the key the gateway answers 401 before the monitor sees anything.
    expect((await trustingFetch(cert.cert)(`https://127.0.0.1:${port}/api/health/overall`)).status).toBe(401);
  });
});
