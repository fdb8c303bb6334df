// `npm run verify -- --stack <name>`: checks a deployed stack. Prints a line per check as it completes,
// then a table (service, health, MCP tools, latency). Exit code 0 when every check passes, 1 when one
// fails, 2 when it cannot start (bad arguments, an unreadable file, nothing to check).
// The verification resource runs it with --endpoints after every `pulumi up`.
import { execFileSync } from "child_process";
import * as fs from "fs";
import { parseArgs as parseArgv } from "util";
import { DEFAULT_OPTIONS, endpointsFromOutputs, failureSummary, formatTable, parseEndpoints, verifyAll, type CheckEvent, type ServiceEndpoint } from "./checks";
import { argvProblem, runCli } from "../operate/cli";

export const USAGE = `Checks a deployed mcp-platform stack: each service's health URL and, for each MCP server, an MCP
handshake (initialize, then tools/list), retrying each service until it passes or the timeout runs out.

usage: npm run verify -- --stack <name>                    read the endpoints from the stack's outputs
       npm run verify -- --outputs-file <outputs.json>     the JSON of \`pulumi stack output --json\`
       npm run verify -- --endpoints '<json>'              [{"name", "healthUrl", "mcpUrl"?}, ...]
       npm run verify -- --endpoints-file <endpoints.json> the same list, from a file

options:
  --timeout <seconds>   how long each service may take to pass (default ${DEFAULT_OPTIONS.deadlineMs / 1000})
  -h, --help            this text

exit code: 0 every check passed, 1 a check failed, 2 the checks could not start`;

export class UsageError extends Error {}

export interface CliArgs {
  stack?: string;
  outputsFile?: string;
  endpoints?: string;
  endpointsFile?: string;
  timeoutSeconds: number;
  help?: boolean;
}

export function parseArgs(argv: string[]): CliArgs {
  let parsed;
  try {
    parsed = parseArgv({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        stack: { type: "string" },
        "outputs-file": { type: "string" },
        endpoints: { type: "string" },
        "endpoints-file": { type: "string" },
        timeout: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    // node:util's messages name the option and what is wrong ("Option '--stack <value>' argument missing").
    throw new UsageError(argvProblem(e));
  }
  const v = parsed.values;
  if (v.help) return { timeoutSeconds: 0, help: true };
  const args: CliArgs = {
    stack: v.stack,
    outputsFile: v["outputs-file"],
    endpoints: v.endpoints,
    endpointsFile: v["endpoints-file"],
    timeoutSeconds: DEFAULT_OPTIONS.deadlineMs / 1000,
  };
  if (v.timeout !== undefined) {
    args.timeoutSeconds = Number(v.timeout);
    if (!/^\s*\d+(\.\d+)?\s*$/.test(v.timeout) || args.timeoutSeconds <= 0)
      throw new UsageError(`--timeout must be a positive number of seconds (got "${v.timeout}")`);
  }
  if ([args.stack, args.outputsFile, args.endpoints, args.endpointsFile].filter((x) => x !== undefined).length !== 1)
    throw new UsageError("give exactly one of --stack, --outputs-file, --endpoints or --endpoints-file");
  return args;
}

function stackOutputs(stack: string): unknown {
  let text: string;
  try {
    // --show-secrets: the gateway's API keys are secret outputs, and the checks call each route with one.
    text = execFileSync("pulumi", ["stack", "output", "--json", "--show-secrets", "--stack", stack], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === "ENOENT") throw new UsageError("the Pulumi CLI is not installed (https://www.pulumi.com/docs/install/); or pass --outputs-file");
    throw new UsageError(
      `pulumi stack output --stack ${stack} failed: ${(err.stderr ?? err.message).trim()} ` +
        "(run it from the project directory, whose Pulumi.yaml names the state backend, or after `pulumi login` to yours)",
    );
  }
  return parseJson(text, `the outputs of stack ${stack}`);
}

function parseJson(text: string, what: string): unknown {
  if (text.trim() === "") throw new UsageError(`${what} is empty: expected JSON`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${what} is not valid JSON: ${(e as Error).message}`);
  }
}

function readJsonFile(file: string, what: string, hint: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new UsageError(`${what} ${file} does not exist: ${hint}`);
    if (code === "EISDIR") throw new UsageError(`${what} ${file} is a directory, not a file: ${hint}`);
    if (code === "EACCES") throw new UsageError(`${what} ${file} cannot be read (permission denied)`);
    throw new UsageError(`${what} ${file} cannot be read: ${(e as Error).message}`);
  }
  return parseJson(text, `${what} ${file}`);
}

function endpointList(value: unknown, what: string): ServiceEndpoint[] {
  try {
    return parseEndpoints(JSON.stringify(value));
  } catch (e) {
    throw new UsageError((e as Error).message.replace("--endpoints", what));
  }
}

// The stack's own outputs say how to call its routes: each route's first API key (apiKeys, a secret
// output) and the certificate the gateway presents (gatewayCertificate, to trust a self-signed one).
// What the environment already sets wins (the per-deploy verification sets both).
export function useGatewayCredentials(outputs: unknown, env: NodeJS.ProcessEnv = process.env): void {
  const o = (typeof outputs === "object" && outputs !== null ? outputs : {}) as { apiKeys?: unknown; gatewayCertificate?: unknown };
  if (!env.MCP_PLATFORM_VERIFY_TOKENS && typeof o.apiKeys === "object" && o.apiKeys !== null) {
    const tokens: Record<string, string> = {};
    for (const [service, keys] of Object.entries(o.apiKeys as Record<string, unknown>)) {
      const first = typeof keys === "object" && keys !== null ? Object.values(keys)[0] : undefined;
      if (typeof first === "string") tokens[service] = first;
    }
    if (Object.keys(tokens).length) env.MCP_PLATFORM_VERIFY_TOKENS = JSON.stringify(tokens);
  }
  if (!env.MCP_PLATFORM_VERIFY_CA && typeof o.gatewayCertificate === "string") env.MCP_PLATFORM_VERIFY_CA = o.gatewayCertificate;
}

export function endpointsFor(args: CliArgs): ServiceEndpoint[] {
  let endpoints: ServiceEndpoint[];
  if (args.endpoints !== undefined) endpoints = endpointList(parseJson(args.endpoints, "--endpoints"), "--endpoints");
  else if (args.endpointsFile !== undefined)
    endpoints = endpointList(readJsonFile(args.endpointsFile, "the endpoints file", 'write a JSON list such as [{"name": "gmail", "healthUrl": "http://host:8080/health", "mcpUrl": "http://host:8080/mcp"}]'), args.endpointsFile);
  else {
    const outputs =
      args.outputsFile !== undefined
        ? readJsonFile(args.outputsFile, "the outputs file", "write it with `pulumi stack output --json --stack <name> > outputs.json`")
        : stackOutputs(args.stack!);
    try {
      endpoints = endpointsFromOutputs(outputs);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    useGatewayCredentials(outputs);
  }
  if (endpoints.length === 0) throw new UsageError("nothing to check: the endpoint list is empty");
  return endpoints;
}

// One line per completed check, aligned on the service names.
export function checkLine(e: CheckEvent, nameWidth: number, startedAt: number, willRetryFor?: number): string {
  const t = ((Date.now() - startedAt) / 1000).toFixed(1).padStart(5);
  const state = e.result.ok ? "ok  " : "FAIL";
  const retry =
    willRetryFor !== undefined
      ? ` (attempt ${e.attempt}; retrying for up to ${Math.max(1, Math.round(willRetryFor))} s)`
      : e.result.ok
        ? e.attempt > 1 ? ` (attempt ${e.attempt})` : ""
        : ` (attempt ${e.attempt}; giving up)`;
  return `${t} s  ${e.service.padEnd(nameWidth)}  ${e.check.padEnd(6)}  ${state}  ${e.result.detail}${retry}`;
}

export async function main(argv: string[], out: (line: string) => void = console.log, err: (line: string) => void = console.error): Promise<number> {
  let endpoints: ServiceEndpoint[];
  let timeoutSeconds: number;
  try {
    const args = parseArgs(argv);
    if (args.help) {
      out(USAGE);
      return 0;
    }
    timeoutSeconds = args.timeoutSeconds;
    endpoints = endpointsFor(args);
  } catch (e) {
    err(`verify: ${e instanceof Error ? e.message : String(e)}`);
    if (e instanceof UsageError && /option|exactly one|argument/i.test(e.message)) err("run with --help for usage");
    return 2;
  }
  const deadlineMs = timeoutSeconds * 1000;
  const startedAt = Date.now();
  const width = Math.max(...endpoints.map((e) => e.name.length));
  const retryDelayMs = Math.min(DEFAULT_OPTIONS.retryDelayMs, deadlineMs / 4);
  out(`verify: checking ${endpoints.length} service${endpoints.length === 1 ? "" : "s"} (each retried for up to ${timeoutSeconds} s)`);
  const results = await verifyAll(endpoints, {
    ...DEFAULT_OPTIONS,
    deadlineMs,
    attemptTimeoutMs: Math.min(DEFAULT_OPTIONS.attemptTimeoutMs, deadlineMs),
    retryDelayMs,
    onCheck: (e) => {
      // The same rule as verifyService: another attempt only if its delay ends before the deadline.
      const leftMs = startedAt + deadlineMs - Date.now();
      out(checkLine(e, width, startedAt, !e.result.ok && leftMs > retryDelayMs ? leftMs / 1000 : undefined));
    },
  });
  out("");
  out(formatTable(results));
  const failed = results.filter((r) => !r.ok);
  if (failed.length === 0) {
    out(`\nverify: all ${results.length} services passed`);
    return 0;
  }
  err(`\nverify: ${failed.length} of ${results.length} services failed within ${timeoutSeconds} s:\n${failureSummary(results)}`);
  return 1;
}

if (require.main === module) runCli((argv) => main(argv));
