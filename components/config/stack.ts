// The Pulumi side of configuration: the running stack's config map in, a validated PlatformConfig out.
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, parseConfig, type LoadedConfig } from "./load";
import { PROJECT } from "./schema";

// isConfigSecret is exported by the SDK's runtime but marked @internal, so it is missing from the typings.
const runtime = pulumi.runtime as unknown as { isConfigSecret(key: string): boolean };

export function loadStackConfig(): LoadedConfig {
  try {
    const loaded = parseConfig(pulumi.runtime.allConfig(), (k) => runtime.isConfigSecret(k));
    for (const notice of loaded.notices) void pulumi.log.info(notice);
    return loaded;
  } catch (e) {
    // A RunError is printed without a stack trace: config mistakes are the user's to fix, not a crash.
    if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
    throw e;
  }
}

// A secret config value as a secret Output; loadStackConfig has already checked that it is set.
export function secretValue(key: string): pulumi.Output<string> {
  return new pulumi.Config(PROJECT).requireSecret(key);
}
