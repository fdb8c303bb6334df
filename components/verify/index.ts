// Verification: after every service of the stack is up, run the post-deploy checks on the machine running
// `pulumi up`; a failed check fails the update with the table and the reason.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { ServiceEndpoint } from "./endpoints";

export interface VerificationArgs {
  endpoints: ServiceEndpoint[];
  // Every service's containers (or Swarm services): the checks run after all of them.
  services: pulumi.Resource[];
  // Anything else the checks must wait for, such as the firewall rules (the checks see their effect).
  after?: pulumi.CustomResource[];
  timeoutSeconds: number;
  // The project directory, where `npm ci` installed tsx and the MCP SDK.
  projectDir: string;
  // Environment of the checks: the gateway's credentials for them (secret) and its certificate.
  environment?: Record<string, pulumi.Input<string>>;
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function verifyCommand(endpoints: ServiceEndpoint[], timeoutSeconds: number): string {
  return `npx --no tsx components/verify/cli.ts --timeout ${timeoutSeconds} --endpoints ${shellQuote(JSON.stringify(endpoints))}`;
}

export class Verification extends pulumi.ComponentResource {
  readonly run: command.local.Command;

  constructor(name: string, args: VerificationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mcp-platform:verify:Verification", name, {}, opts);
    const cmd = verifyCommand(args.endpoints, args.timeoutSeconds);
    this.run = new command.local.Command(
      `${name}-checks`,
      {
        create: cmd,
        update: cmd,
        dir: args.projectDir,
        environment: args.environment,
        logging: "stdoutAndStderr",
        // The checks run again when something they check was replaced (a container's id changes), and
        // only then: a deployment that changed nothing has nothing new to verify, so a second `pulumi up`
        // and `pulumi preview --expect-no-changes` see no change. `npm run verify` checks on demand.
        triggers: [...args.services, ...(args.after ?? [])].filter((r) => r instanceof pulumi.CustomResource).map((r) => r.id),
      },
      { parent: this, dependsOn: [...args.services, ...(args.after ?? [])] },
    );
    this.registerOutputs({ services: args.endpoints.map((e) => e.name) });
  }
}
