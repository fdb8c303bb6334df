// Firewall: the published ports' allowlist in Docker's DOCKER-USER chain on the Docker host. Docker's
// published ports bypass host firewalls such as ufw; DOCKER-USER is where Docker lets users filter them.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { allowedPorts, firewallCommand, firewallHost, readRulesScript, type FirewallPlan } from "./rules";

export interface FirewallArgs {
  plan: FirewallPlan;
  // The stack's dockerHost: unix:// runs the rules here, ssh://user@host runs them there.
  dockerHost: string;
  // For ssh:// hosts; without it the SSH agent (SSH_AUTH_SOCK) is used.
  sshPrivateKey?: pulumi.Input<string>;
}

export class Firewall extends pulumi.ComponentResource {
  readonly allowedPorts: number[];
  readonly rules: command.local.Command | command.remote.Command;

  constructor(name: string, args: FirewallArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mcp-platform:firewall:Firewall", name, {}, opts);
    const script = readRulesScript();
    // create and update both converge on the plan (the script checks before it inserts); delete removes
    // exactly the tagged rules. A changed allowlist or script changes the commands, hence an update.
    const commands = {
      create: firewallCommand(args.plan, "apply", script),
      update: firewallCommand(args.plan, "apply", script),
      delete: firewallCommand(args.plan, "remove", script),
      addPreviousOutputInEnv: false,
    };
    const host = firewallHost(args.dockerHost);
    // A replacement must remove the old rules before applying the new: the other order would apply, then
    // delete every rule carrying the (same) tag.
    const childOpts = { parent: this, deleteBeforeReplace: true };
    this.rules =
      host.kind === "local"
        ? new command.local.Command(`${name}-docker-user`, { ...commands, logging: "stdoutAndStderr" }, childOpts)
        : new command.remote.Command(
            `${name}-docker-user`,
            {
              ...commands,
              logging: "stdoutAndStderr",
              connection: {
                host: host.host,
                ...(host.user ? { user: host.user } : {}),
                ...(host.port ? { port: host.port } : {}),
                ...(args.sshPrivateKey ? { privateKey: args.sshPrivateKey } : {}),
              },
            },
            childOpts,
          );
    this.allowedPorts = allowedPorts(args.plan);
    this.registerOutputs({ allowedPorts: this.allowedPorts });
  }
}
