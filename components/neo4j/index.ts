// Neo4j 5.26: its volumes, a generated password, and one container on the backend network only.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { Neo4jConfig } from "../config/schema";
import type { PlatformDefaults } from "../container/defaults";
import { serviceImage } from "../container/image";
import type { NetworkRef } from "../container/spec";
import { stateVolume } from "../container/volume";
import { deployWorkload } from "../container/workload";
import { NEO4J_URI, NEO4J_USER, neo4jSpec, passwordLengthNotice } from "./spec";

export interface Neo4jArgs {
  config: Neo4jConfig;
  platform: PlatformDefaults;
  backendNetwork: NetworkRef;
  volumePrefix: string;
  protectVolumes: boolean;
  volumeLabels: Record<string, string>;
}

export class Neo4j extends pulumi.ComponentResource {
  readonly uri = NEO4J_URI;
  readonly user = NEO4J_USER;
  readonly password: pulumi.Output<string>;
  // The pulled image's id: the backups run its cypher-shell and neo4j-admin, which match the server.
  readonly image: pulumi.Output<string>;
  readonly dataVolume: pulumi.Input<string>;
  readonly logsVolume: pulumi.Input<string>;
  readonly containers: docker.Container[];
  // What dependents wait for: its container, or its Swarm service.
  readonly resources: pulumi.Resource[];

  constructor(name: string, args: Neo4jArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mcp-platform:neo4j:Neo4j", name, {}, opts);
    // Never a literal and never the image's documented "demodemo": generated once, kept in state as a secret.
    // Neo4j sets it only when it creates its database, so it is protected with the data volume (a destroy
    // that keeps the data keeps the password that opens it) and a later change of its length is ignored,
    // with a warning (passwordLengthNotice), instead of replacing it.
    const password = new random.RandomPassword(
      `${name}-password`,
      { length: args.config.passwordLength, special: false },
      { parent: this, protect: args.protectVolumes, ignoreChanges: ["length"] },
    );
    password.length.apply((generated) => {
      const notice = passwordLengthNotice(args.config.passwordLength, generated);
      if (notice) void pulumi.log.warn(notice, this);
    });
    this.password = pulumi.secret(password.result);
    const volume = (suffix: string) =>
      stateVolume(
        `${name}-${suffix}`,
        { volumeName: `${args.volumePrefix}-neo4j-${suffix}`, labels: args.volumeLabels, protect: args.protectVolumes },
        args.platform,
        { parent: this },
      ).name;
    this.dataVolume = volume("data");
    this.logsVolume = volume("logs");
    const image = serviceImage(name, { image: args.config.image }, (c) => c, args.platform, { parent: this });
    this.image = image;
    const spec = neo4jSpec(args.config, {
      image,
      password: this.password,
      backendNetwork: args.backendNetwork,
      dataVolume: this.dataVolume,
      logsVolume: this.logsVolume,
    });
    ({ containers: this.containers, resources: this.resources } = deployWorkload(name, spec, args.platform, { parent: this }));
    this.registerOutputs({ uri: this.uri, dataVolume: this.dataVolume, logsVolume: this.logsVolume });
  }
}
