// A stub of the Docker Engine API on a unix socket, for the operate commands' tests on machines without
// a Docker engine: it answers the calls status and logs make from fixtures, filters included, and logs
// in Docker's multiplexed stream format. The same tests run against a real engine where one runs.
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";

export interface StubContainer {
  id: string;
  labels: Record<string, string>;
  networks: string[];
  image: string;
  imageId: string;
  state: { Status: string; ExitCode?: number; StartedAt?: string; Health?: { Status: string } };
  restarts?: number;
  ports?: Record<string, { HostIp: string; HostPort: string }[] | null>;
  // Lines the container wrote, as [stream, text]: 1 stdout, 2 stderr.
  logs?: [1 | 2, string][];
}

export interface StubImage {
  id: string;
  repoTags: string[];
  repoDigests: string[];
}

export interface EngineStub {
  socket: string;
  requests: string[];
  // Lines a followed log stream sends after the ones it already had.
  pushLog: (id: string, stream: 1 | 2, text: string) => void;
  close: () => Promise<void>;
}

// Docker's stream framing for non-TTY containers: 8-byte header (stream, 0, 0, 0, size uint32 BE), then the payload.
export function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

export async function startEngineStub(containers: StubContainer[], images: StubImage[]): Promise<EngineStub> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "engine-stub-"));
  const socket = path.join(dir, "docker.sock");
  const requests: string[] = [];
  const followers = new Map<string, http.ServerResponse[]>();
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const url = new URL(req.url!, "http://engine");
    const p = url.pathname.replace(/^\/v[\d.]+/, "");
    const json = (status: number, body: unknown) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    let m: RegExpExecArray | null;
    if (p === "/_ping") return void res.end("OK");
    if (p === "/containers/json") {
      const filters = JSON.parse(url.searchParams.get("filters") ?? "{}") as Record<string, string[] | Record<string, boolean>>;
      const list = (k: string) => {
        const v = filters[k];
        return Array.isArray(v) ? v : v ? Object.keys(v) : undefined;
      };
      const networks = list("network");
      const labels = list("label");
      const out = containers
        .filter((c) => !networks || c.networks.some((n) => networks.includes(n)))
        .filter((c) => !labels || labels.every((l) => { const [k, v] = l.split("="); return v === undefined ? k! in c.labels : c.labels[k!] === v; }))
        .filter((c) => url.searchParams.get("all") === "true" || url.searchParams.get("all") === "1" || c.state.Status === "running")
        .map((c) => ({ Id: c.id, Labels: c.labels, Image: c.image, ImageID: c.imageId, State: c.state.Status }));
      return json(200, out);
    }
    if ((m = /^\/containers\/([^/]+)\/json$/.exec(p))) {
      const c = containers.find((x) => x.id === m![1]);
      if (!c) return json(404, { message: `No such container: ${m[1]}` });
      return json(200, {
        Id: c.id,
        Name: `/${c.id}`,
        Image: c.imageId,
        RestartCount: c.restarts ?? 0,
        State: c.state,
        Config: { Image: c.image, Labels: c.labels },
        NetworkSettings: { Ports: c.ports ?? {} },
      });
    }
    if ((m = /^\/images\/(.+)\/json$/.exec(p))) {
      const i = images.find((x) => x.id === decodeURIComponent(m![1]!));
      if (!i) return json(404, { message: "No such image" });
      return json(200, { Id: i.id, RepoTags: i.repoTags, RepoDigests: i.repoDigests });
    }
    if ((m = /^\/containers\/([^/]+)\/logs$/.exec(p))) {
      const c = containers.find((x) => x.id === m![1]);
      if (!c) return json(404, { message: "No such container" });
      const tail = url.searchParams.get("tail");
      let lines = (c.logs ?? []).filter(([s]) => (s === 1 ? url.searchParams.get("stdout") : url.searchParams.get("stderr")) === "true");
      if (tail && tail !== "all") lines = lines.slice(-Number(tail));
      res.writeHead(200, { "content-type": "application/vnd.docker.multiplexed-stream" });
      for (const [s, text] of lines) res.write(frame(s, `${text}\n`));
      if (url.searchParams.get("follow") === "true") {
        followers.set(c.id, [...(followers.get(c.id) ?? []), res]);
        return;
      }
      return void res.end();
    }
    json(404, { message: `stub: no route for ${p}` });
  });
  await new Promise<void>((r) => server.listen(socket, () => r()));
  return {
    socket: `unix://${socket}`,
    requests,
    pushLog: (id, stream, text) => {
      for (const res of followers.get(id) ?? []) res.write(frame(stream, `${text}\n`));
    },
    close: async () => {
      for (const list of followers.values()) for (const res of list) res.end();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
