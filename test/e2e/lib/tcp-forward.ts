// A TCP forwarder for the Swarm harness: `tsx tcp-forward.ts LISTEN_HOST:PORT TARGET_HOST:PORT`. The suite's
// registry listens on loopback in the run's network namespace; each Swarm node reaches it as
// 127.0.0.1:5000 in its own namespace through one of these, so an image reference means the same
// registry on every node (as a registry name does in prod).
import * as net from "net";

const [listen, target] = process.argv.slice(2);
const split = (a: string | undefined) => {
  const m = /^(.+):(\d+)$/.exec(a ?? "");
  if (!m) throw new Error("usage: tcp-forward.ts LISTEN_HOST:PORT TARGET_HOST:PORT");
  return { host: m[1]!, port: Number(m[2]) };
};
const from = split(listen);
const to = split(target);
net
  .createServer((client) => {
    const upstream = net.connect(to.port, to.host);
    client.pipe(upstream).pipe(client);
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
  })
  .listen(from.port, from.host, () => process.stdout.write("listening\n"));
