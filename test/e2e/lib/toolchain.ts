// Where the CI toolchain is (.ci/toolchain/install.sh writes toolchain.env) and the environment every
// real Pulumi run gets: the CLI built here, a file backend, a passphrase, no update checks, no plugin
// downloads, and plugins installed into a PULUMI_HOME of the suite's own.
import * as fs from "fs";
import * as path from "path";
import { ROOT } from "../../harness/stack-files";
import { run } from "./run";

export const CACHE = process.env.MCP_CI_CACHE ?? "/var/cache/mcp-platform-ci";
export const E2E_DIR = path.join(CACHE, "e2e");
// One run of the suite: its engine's name (MCP_E2E_ENGINE, default e2e) and a directory of its own for
// everything that is not a shared cache, so runs in separate network namespaces do not meet.
export const RUN = process.env.MCP_E2E_ENGINE ?? "e2e";
export const RUN_DIR = path.join(E2E_DIR, "runs", RUN);

export interface Toolchain {
  pulumi: string;
  languageHostDir: string;
  dockerProviderDir: string;
  dockerProviderVersion: string;
  engineRoot: string;
  // Docker 20.10 (Debian 12's), the oldest engine supported.
  oldEngineRoot?: string;
  // Docker Compose v2 (compose.sh), for the comparison of `pulumi up` with `docker compose up --wait`.
  composeBin?: string;
}

// The toolchain, or why it is missing (the suite then skips, or fails in CI).
export function findToolchain(): Toolchain | string {
  const file = path.join(CACHE, "toolchain.env");
  if (!fs.existsSync(file)) return `no CI toolchain at ${CACHE} (run .ci/toolchain/install.sh as root)`;
  const env = Object.fromEntries(
    fs
      .readFileSync(file, "utf8")
      .split("\n")
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
  const t: Toolchain = {
    pulumi: env.MCP_PULUMI_BIN ?? "",
    languageHostDir: env.MCP_LANGUAGE_HOST_DIR ?? "",
    dockerProviderDir: env.MCP_DOCKER_PROVIDER_DIR ?? "",
    dockerProviderVersion: env.MCP_DOCKER_PROVIDER_VERSION ?? "",
    engineRoot: env.MCP_ENGINE_ROOT ?? "",
    oldEngineRoot: env.MCP_OLD_ENGINE_ROOT,
    // MCP_COMPOSE_BIN in the environment names another (a toolchain.env written before compose.sh).
    composeBin: process.env.MCP_COMPOSE_BIN ?? env.MCP_COMPOSE_BIN,
  };
  for (const [what, p] of [
    ["Pulumi CLI", t.pulumi],
    ["nodejs language host", path.join(t.languageHostDir, "pulumi-language-nodejs")],
    ["docker provider", path.join(t.dockerProviderDir, "pulumi-resource-docker")],
    ["engine tree", path.join(t.engineRoot, "usr/sbin/dockerd")],
  ] as const)
    if (!p || !fs.existsSync(p)) return `the toolchain's ${what} is missing (${p || "not recorded"}): run .ci/toolchain/install.sh`;
  if (process.getuid?.() !== 0) return "the end-to-end suite runs Docker engines and network namespaces: it needs root";
  return t;
}

export const PULUMI_HOME = path.join(RUN_DIR, "pulumi-home");
export const PASSPHRASE = "e2e-passphrase-not-a-secret";

// PATH for runs with the policy pack: the CLI's directory and the analyzer shim, and no nodejs language
// plugin anywhere the CLI looks (the 3.68 host cannot run a pack; without one the CLI runs the shim).
export function pulumiEnv(t: Toolchain, backendDir: string, opts: { languageHost?: boolean } = {}): NodeJS.ProcessEnv {
  const dirs = [path.join(RUN_DIR, "bin"), path.dirname(t.pulumi), ...(opts.languageHost ? [t.languageHostDir] : [])];
  return {
    ...process.env,
    PATH: [...dirs, ...(process.env.PATH ?? "").split(":").filter((d) => !d.includes("language-nodejs"))].join(":"),
    PULUMI_HOME,
    PULUMI_BACKEND_URL: `file://${backendDir}`,
    PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
  };
}

// The plugins: the docker provider built here, and this repository's stand-ins for random and command
// (a script that runs the provider with tsx from this checkout), and the policy analyzer shim.
export async function installPlugins(t: Toolchain): Promise<void> {
  const bin = path.join(RUN_DIR, "bin");
  fs.mkdirSync(bin, { recursive: true });
  const env = pulumiEnv(t, path.join(RUN_DIR, "unused-backend"));
  const tsx = path.join(ROOT, "node_modules/.bin/tsx");
  const install = (kind: string, name: string, version: string, file: string) =>
    run(t.pulumi, ["plugin", "install", kind, name, version, "--file", file, "--reinstall"], { env });
  await install("resource", "docker", t.dockerProviderVersion, path.join(t.dockerProviderDir, "pulumi-resource-docker"));
  for (const [name, version] of [
    ["random", "4.21.2"],
    ["command", "1.2.1"],
  ] as const) {
    const script = path.join(bin, `pulumi-resource-${name}`);
    fs.writeFileSync(script, `#!/bin/sh\nexec "${tsx}" "${path.join(ROOT, ".ci/toolchain/providers", `${name}.ts`)}" "$@"\n`, { mode: 0o755 });
    await install("resource", name, version, script);
  }
  // The CLI runs this when no nodejs language plugin can be found: it starts the pack's own runner.
  fs.writeFileSync(
    path.join(bin, "pulumi-analyzer-policy-nodejs"),
    [
      "#!/bin/sh",
      "# Runs a Node.js policy pack as the nodejs language host would: @pulumi/pulumi's run-policy-pack, from the pack's directory.",
      `runner=$(cd "${path.join(ROOT, "policies")}" && node -e 'process.stdout.write(require.resolve("@pulumi/pulumi/cmd/run-policy-pack"))')`,
      'exec node "$runner" "$@"',
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
}
