// What the Docker engine behind dockerHost can take. The program runs on the engines its users run:
// Debian 12's docker.io is Engine 20.10 (API 1.41), which refuses a healthcheck start interval (API 1.44,
// Engine 25). Rather than refuse such an engine, the program leaves the setting out there and says so.
import { execFile } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as path from "path";

export interface EngineFeatures {
  // API version the engine speaks, e.g. "1.45"; undefined when it could not be asked.
  apiVersion?: string;
  // Healthcheck start interval (API 1.44+).
  healthStartInterval: boolean;
}

// The oldest engine API the program supports: Engine 20.10, Debian 12's docker.io.
export const MIN_API_VERSION = "1.41";
export const START_INTERVAL_API_VERSION = "1.44";

export const CURRENT_ENGINE: EngineFeatures = { healthStartInterval: true };

// Environment variable that names the engine's API version instead of asking it (an air-gapped preview,
// a change review without access to the engine).
export const API_VERSION_ENV = "MCP_PLATFORM_DOCKER_API_VERSION";

export function compareApi(a: string, b: string): number {
  const [am = 0, an = 0] = a.split(".").map(Number);
  const [bm = 0, bn = 0] = b.split(".").map(Number);
  return am !== bm ? am - bm : an - bn;
}

export class EngineTooOldError extends Error {}

export function featuresOf(apiVersion: string): EngineFeatures {
  if (!/^\d+\.\d+$/.test(apiVersion)) throw new Error(`not a Docker API version: "${apiVersion}" (expected e.g. 1.45)`);
  if (compareApi(apiVersion, MIN_API_VERSION) < 0)
    throw new EngineTooOldError(
      `the Docker engine at dockerHost speaks API ${apiVersion}, older than ${MIN_API_VERSION} (Docker Engine 20.10), the oldest this platform supports: upgrade Docker on that host`,
    );
  return { apiVersion, healthStartInterval: compareApi(apiVersion, START_INTERVAL_API_VERSION) >= 0 };
}

export interface ProbeResult {
  features: EngineFeatures;
  // Set when the engine could not be asked, or lacks a feature: what a user should know.
  notice?: string;
}

type Fetch = (dockerHost: string, timeoutMs: number) => Promise<string>;

// Asks the engine its API version (GET /version), over the same dockerHost the docker provider uses.
export async function probeEngine(dockerHost: string, opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv; fetch?: Fetch } = {}): Promise<ProbeResult> {
  const env = opts.env ?? process.env;
  const given = env[API_VERSION_ENV];
  let apiVersion: string;
  if (given) apiVersion = given.trim();
  else {
    try {
      apiVersion = await (opts.fetch ?? fetchApiVersion)(dockerHost, opts.timeoutMs ?? 5000);
    } catch (e) {
      return {
        features: CURRENT_ENGINE,
        notice:
          `could not ask the Docker engine at ${dockerHost} for its version (${(e as Error).message}); assuming Docker Engine 25 or newer. ` +
          `On an older engine set ${API_VERSION_ENV} to its API version (docker version --format '{{.Server.APIVersion}}').`,
      };
    }
  }
  const features = featuresOf(apiVersion);
  return {
    features,
    notice: features.healthStartInterval
      ? undefined
      : `the Docker engine at ${dockerHost} speaks API ${apiVersion} (before Docker Engine 25): healthchecks run without a start interval, so each service is seen healthy only at its first regular check and \`pulumi up\` waits longer.`,
  };
}

function fetchApiVersion(dockerHost: string, timeoutMs: number): Promise<string> {
  const url = new URL(dockerHost);
  if (url.protocol === "ssh:") return sshApiVersion(url, timeoutMs);
  if (url.protocol !== "unix:" && url.protocol !== "tcp:") return Promise.reject(new Error(`${url.protocol} hosts are not probed`));
  return new Promise((resolve, reject) => {
    const certDir = env("DOCKER_CERT_PATH");
    const tls = url.protocol === "tcp:" && (env("DOCKER_TLS_VERIFY") === "1" || url.port === "2376");
    const options: https.RequestOptions = {
      method: "GET",
      path: "/version",
      timeout: timeoutMs,
      ...(url.protocol === "unix:" ? { socketPath: url.pathname } : { host: url.hostname, port: Number(url.port || (tls ? 2376 : 2375)) }),
      ...(tls && certDir
        ? {
            ca: fs.readFileSync(path.join(certDir, "ca.pem")),
            cert: fs.readFileSync(path.join(certDir, "cert.pem")),
            key: fs.readFileSync(path.join(certDir, "key.pem")),
          }
        : {}),
    };
    const req = (tls ? https : http).request(options, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => {
        try {
          const v = (JSON.parse(body) as { ApiVersion?: unknown }).ApiVersion;
          if (typeof v === "string") resolve(v);
          else reject(new Error(`GET /version answered ${res.statusCode} without ApiVersion`));
        } catch {
          reject(new Error(`GET /version answered ${res.statusCode} with a body that is not JSON`));
        }
      });
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}

function env(name: string): string | undefined {
  return process.env[name];
}

// ssh://user@host[:port]: the remote docker CLI answers, as the provider itself reaches such a host.
function sshApiVersion(url: URL, timeoutMs: number): Promise<string> {
  const target = `${url.username ? `${url.username}@` : ""}${url.hostname}`;
  const args = ["-o", "BatchMode=yes", "-o", `ConnectTimeout=${Math.ceil(timeoutMs / 1000)}`, ...(url.port ? ["-p", url.port] : []), target];
  return new Promise((resolve, reject) =>
    execFile("ssh", [...args, "docker", "version", "--format", "{{.Server.APIVersion}}"], { timeout: timeoutMs * 2 }, (err, stdout) => {
      if (err) reject(new Error(`ssh ${target}: ${err.message.split("\n")[0]}`));
      else resolve(stdout.trim());
    }),
  );
}
