// What the operate commands need to know about a stack: where its Docker engine is (the stack file's
// dockerHost, as `pulumi up` uses it), its mode, and its outputs (network names, routes).
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { PROJECT } from "../config/schema";

export class OperateError extends Error {}

export interface StackOutputs {
  environment?: string;
  networks: { frontend: string; backend: string };
  mcpServers: Record<string, { url?: string; healthUrl?: string; replicas?: number }>;
  dashboardUrl?: string;
  healthApiUrl?: string;
}

export interface StackContext {
  stack: string;
  dockerHost: string;
  mode: "host" | "swarm";
  outputs: StackOutputs;
}

export interface StackOptions {
  stack: string;
  // Read the outputs from this file (the JSON of `pulumi stack output --json`) instead of the Pulumi CLI.
  outputsFile?: string;
  // Overrides the stack file's dockerHost.
  dockerHost?: string;
  projectDir?: string;
}

const DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock";

// The stack file's settings as Pulumi stores them (`pulumi config set` writes this file).
export function stackSettings(stack: string, projectDir: string): Record<string, unknown> {
  const file = path.join(projectDir, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) return {};
  const doc = parse(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null;
  return doc?.config ?? {};
}

export function readOutputs(opts: StackOptions): unknown {
  let text: string;
  if (opts.outputsFile !== undefined) {
    try {
      text = fs.readFileSync(opts.outputsFile, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT")
        throw new OperateError(`the outputs file ${opts.outputsFile} does not exist: write it with \`pulumi stack output --json --stack ${opts.stack} > outputs.json\``);
      throw new OperateError(`the outputs file ${opts.outputsFile} cannot be read: ${(e as Error).message}`);
    }
  } else {
    try {
      text = execFileSync("pulumi", ["stack", "output", "--json", "--stack", opts.stack], {
        cwd: opts.projectDir,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (e) {
      const err = e as NodeJS.ErrnoException & { stderr?: string };
      if (err.code === "ENOENT") throw new OperateError("the Pulumi CLI is not installed (https://www.pulumi.com/docs/install/); or pass --outputs-file");
      throw new OperateError(`pulumi stack output --stack ${opts.stack} failed: ${(err.stderr ?? err.message).trim()}`);
    }
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new OperateError(`the outputs of stack ${opts.stack} are not valid JSON: ${(e as Error).message}`);
  }
}

export function parseOutputs(stack: string, value: unknown): StackOutputs {
  const o = (typeof value === "object" && value !== null ? value : {}) as Record<string, unknown>;
  const networks = o.networks as { frontend?: unknown; backend?: unknown } | undefined;
  if (typeof networks?.frontend !== "string" || typeof networks.backend !== "string")
    throw new OperateError(`stack ${stack} has no networks output: has it been deployed (pulumi up --stack ${stack})?`);
  return {
    environment: typeof o.environment === "string" ? o.environment : undefined,
    networks: { frontend: networks.frontend, backend: networks.backend },
    mcpServers: (typeof o.mcpServers === "object" && o.mcpServers !== null ? o.mcpServers : {}) as StackOutputs["mcpServers"],
    dashboardUrl: typeof o.dashboardUrl === "string" ? o.dashboardUrl : undefined,
    healthApiUrl: typeof o.healthApiUrl === "string" ? o.healthApiUrl : undefined,
  };
}

export function loadStack(opts: StackOptions): StackContext {
  const projectDir = opts.projectDir ?? process.cwd();
  const settings = stackSettings(opts.stack, projectDir);
  const configured = settings[`${PROJECT}:dockerHost`];
  const mode = settings[`${PROJECT}:mode`] === "swarm" ? "swarm" : "host";
  return {
    stack: opts.stack,
    dockerHost: opts.dockerHost ?? (typeof configured === "string" ? configured : DEFAULT_DOCKER_HOST),
    mode,
    outputs: parseOutputs(opts.stack, readOutputs({ ...opts, projectDir })),
  };
}
