// A Docker Engine API client for a stack's dockerHost, as the docker CLI and the Pulumi provider read it:
// unix:///path/docker.sock, tcp://host:2376 (TLS from DOCKER_CERT_PATH, as the docker CLI), or
// ssh://user@host[:port], tunnelled through the system's ssh like `docker -H ssh://…` (so ~/.ssh/config,
// known_hosts and the agent apply; the remote runs `docker system dial-stdio`).
import { spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { Duplex } from "stream";
import Docker from "dockerode";

export class DockerHostError extends Error {}

export interface DockerTarget {
  host: string;
  docker: Docker;
}

// Every connection option is given explicitly: docker-modem otherwise fills in DOCKER_HOST from the
// environment, which must not override the stack's dockerHost.
const none = { socketPath: undefined, host: undefined, port: undefined, protocol: undefined, ca: undefined, cert: undefined, key: undefined };

export function dockerClient(dockerHost: string, env: NodeJS.ProcessEnv = process.env): Docker {
  let url: URL;
  try {
    url = new URL(dockerHost);
  } catch {
    throw new DockerHostError(`dockerHost ${dockerHost} is not a Docker host URL: use unix:///var/run/docker.sock, tcp://host:2376 or ssh://user@host`);
  }
  switch (url.protocol) {
    case "unix:":
      return new Docker({ ...none, socketPath: decodeURIComponent(url.pathname) });
    case "tcp:": {
      const certPath = env.DOCKER_CERT_PATH;
      const tls = env.DOCKER_TLS_VERIFY === "1" || url.port === "2376" || Boolean(certPath);
      if (!tls) return new Docker({ ...none, host: url.hostname, port: url.port || "2375", protocol: "http" });
      if (!certPath)
        throw new DockerHostError(`dockerHost ${dockerHost} uses TLS: set DOCKER_CERT_PATH to the directory holding ca.pem, cert.pem and key.pem`);
      const read = (f: string) => {
        try {
          return fs.readFileSync(path.join(certPath, f));
        } catch {
          throw new DockerHostError(`DOCKER_CERT_PATH ${certPath} has no readable ${f}`);
        }
      };
      return new Docker({ ...none, host: url.hostname, port: url.port || "2376", protocol: "https", ca: read("ca.pem"), cert: read("cert.pem"), key: read("key.pem") });
    }
    case "ssh:": {
      const target = `${url.username ? `${decodeURIComponent(url.username)}@` : ""}${url.hostname}`;
      const args = ["-o", "BatchMode=yes", ...(url.port ? ["-p", url.port] : []), "--", target, "docker", "system", "dial-stdio"];
      const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
      // Each connection is an ssh process whose stdin/stdout carry the Engine API's HTTP.
      (agent as unknown as { createConnection: () => Duplex }).createConnection = () => {
        const child = spawn(env.MCP_PLATFORM_SSH ?? "ssh", args, { stdio: ["pipe", "pipe", "pipe"] });
        const stream = Duplex.from({ readable: child.stdout, writable: child.stdin });
        let stderr = "";
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("error", (e) => stream.destroy(new DockerHostError(`cannot run ssh for ${dockerHost}: ${e.message}`)));
        child.on("exit", (code) => {
          if (code) stream.destroy(new DockerHostError(`ssh to ${target} failed (exit ${code}): ${stderr.trim() || "no message"}`));
        });
        stream.on("close", () => child.kill());
        // http.Agent treats its connections as sockets (keep-alive reuses one ssh process for several
        // requests); a pipe has no TCP options to set.
        Object.assign(stream, { setKeepAlive: () => stream, setNoDelay: () => stream, setTimeout: () => stream, ref: () => stream, unref: () => stream });
        return stream;
      };
      // docker-modem passes `agent` to http.request; its typings do not list it.
      return new Docker({ ...none, host: "docker.invalid", port: 80, protocol: "http", agent } as Docker.DockerOptions);
    }
    default:
      throw new DockerHostError(`dockerHost ${dockerHost}: ${url.protocol} is not supported here; use unix://, tcp:// or ssh://`);
  }
}

// A failed connection, in words: which host, and what to check.
export function connectionProblem(dockerHost: string, e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err instanceof DockerHostError) return err.message;
  if (err.code === "ENOENT" || err.code === "ECONNREFUSED")
    return `cannot reach the Docker engine at ${dockerHost} (${err.code}): is Docker running there, and is this the stack's dockerHost?`;
  if (err.code === "EACCES") return `no permission to use ${dockerHost}: run as a user in the docker group, or as root`;
  if (/not a swarm manager/.test(err.message ?? ""))
    return `the Docker engine at ${dockerHost} is not a Swarm manager, but the stack's mode is swarm: point dockerHost at a manager (docker node ls lists them)`;
  return `the Docker engine at ${dockerHost} failed: ${err.message ?? String(e)}`;
}
