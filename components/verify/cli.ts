// `npm run verify -- --stack <name>`: checks a deployed stack and prints a table (service, health, MCP
// tools, latency). Exit code 0 when every check passes, 1 when one fails, 2 when it cannot start.
// The verification resource runs it with --endpoints after every `pulumi up`.
import { execFileSync } from "child_process";
import * as fs from "fs";
import { DEFAULT_OPTIONS, endpointsFromOutputs, failureSummary, formatTable, parseEndpoints, verifyAll, type ServiceEndpoint } from "./checks";

const USAGE = `usage: npm run verify -- --stack <name> [--timeout <seconds>]
       npm run verify -- --outputs-file <stack-outputs.json> [--timeout <seconds>]
       npm run verify -- --endpoints '<json: [{"name", "healthUrl", "mcpUrl"?}]>' [--timeout <seconds>]`;

export class UsageError extends Error {}

export interface CliArgs {
  stack?: string;
  outputsFile?: string;
  endpoints?: string;
  timeoutSeconds: number;
}

export function parseArgs(argv: string[]): CliArgs {
  const args: CliArgs = { timeoutSeconds: DEFAULT_OPTIONS.deadlineMs / 1000 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    if (flag === "--stack") args.stack = value;
    else if (flag === "--outputs-file") args.outputsFile = value;
    else if (flag === "--endpoints") args.endpoints = value;
    else if (flag === "--timeout") {
      args.timeoutSeconds = Number(value);
      if (!Number.isFinite(args.timeoutSeconds) || args.timeoutSeconds <= 0) throw new UsageError("--timeout must be a positive number of seconds");
    } else throw new UsageError(`unknown option ${flag}`);
    i++;
  }
  if ([args.stack, args.outputsFile, args.endpoints].filter((x) => x !== undefined).length !== 1)
    throw new UsageError("give exactly one of --stack, --outputs-file or --endpoints");
  return args;
}

function stackOutputs(stack: string): unknown {
  try {
    return JSON.parse(execFileSync("pulumi", ["stack", "output", "--json", "--stack", stack], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }));
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === "ENOENT") throw new UsageError("the Pulumi CLI is not installed (https://www.pulumi.com/docs/install/); or pass --outputs-file");
    throw new UsageError(`pulumi stack output --stack ${stack} failed: ${(err.stderr ?? err.message).trim()} (is PULUMI_BACKEND_URL set, e.g. file://$PWD/.pulumi-state?)`);
  }
}

export function endpointsFor(args: CliArgs): ServiceEndpoint[] {
  if (args.endpoints !== undefined) return parseEndpoints(args.endpoints);
  if (args.outputsFile !== undefined) return endpointsFromOutputs(JSON.parse(fs.readFileSync(args.outputsFile, "utf8")));
  return endpointsFromOutputs(stackOutputs(args.stack!));
}

export async function main(argv: string[]): Promise<number> {
  let endpoints: ServiceEndpoint[];
  let timeoutSeconds: number;
  try {
    const args = parseArgs(argv);
    timeoutSeconds = args.timeoutSeconds;
    endpoints = endpointsFor(args);
  } catch (e) {
    console.error(`verify: ${e instanceof Error ? e.message : String(e)}`);
    if (e instanceof UsageError && !/Pulumi CLI|failed/.test(e.message)) console.error(USAGE);
    return 2;
  }
  const deadlineMs = timeoutSeconds * 1000;
  const results = await verifyAll(endpoints, {
    ...DEFAULT_OPTIONS,
    deadlineMs,
    attemptTimeoutMs: Math.min(DEFAULT_OPTIONS.attemptTimeoutMs, deadlineMs),
    retryDelayMs: Math.min(DEFAULT_OPTIONS.retryDelayMs, deadlineMs / 4),
  });
  console.log(formatTable(results));
  const failed = results.filter((r) => !r.ok);
  if (failed.length === 0) {
    console.log(`\nverify: all ${results.length} services passed`);
    return 0;
  }
  console.error(`\nverify: ${failed.length} of ${results.length} services failed within ${timeoutSeconds} s:\n${failureSummary(results)}`);
  return 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e);
      process.exit(2);
    },
  );
}
