// The TCP-level probes against peers on loopback. The Bolt peer answers as Neo4j 5.26 did when this probe
// was run against a real one (Neo4j 5.26.12 from Maven Central: "Bolt 5.8"; its HTTP port answered
// "HTTP", which must not pass for Bolt).
import * as net from "net";
import { afterAll, describe, expect, it } from "vitest";
import { BOLT_HANDSHAKE, probeBolt, probeTcp } from "../../../../components/health-monitor/app/src/probes/tcp";
import { boltPeer, freePort, listen, stop } from "./fleet";

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of closers) await c();
});

describe("the Bolt handshake probe", () => {
  it("sends the preamble and proposes 5.8 down to 5.0, then 4.4, and reports the version chosen", async () => {
    const peer = await boltPeer(Buffer.from([0, 0, 8, 5]));
    closers.push(peer.close);
    const r = await probeBolt({ type: "bolt", host: "127.0.0.1", port: peer.port }, 2000);
    expect(r).toMatchObject({ check: "bolt", ok: true, detail: "Bolt 5.8" });
    expect(peer.handshakes[0]!.toString("hex")).toBe("6060b017" + "00080805" + "00000404" + "00000000" + "00000000");
    expect(BOLT_HANDSHAKE).toHaveLength(20);
  });

  it("fails when the server shares no version", async () => {
    const peer = await boltPeer(Buffer.alloc(4));
    closers.push(peer.close);
    expect(await probeBolt({ type: "bolt", host: "127.0.0.1", port: peer.port }, 2000)).toMatchObject({ ok: false, detail: "the server shares no Bolt version with 4.4-5.8" });
  });

  it("does not take an HTTP server for Bolt", async () => {
    const web = await listen((_q, r) => r.writeHead(400).end());
    closers.push(() => stop(web.server));
    const r = await probeBolt({ type: "bolt", host: "127.0.0.1", port: web.port }, 2000);
    expect(r.ok).toBe(false);
    expect(r.detail).toBe("not a Bolt server: it answered 0x48545450 to the handshake");
  });

  it("fails on a refused connection and on a silent server, within the timeout", async () => {
    const port = await freePort();
    expect((await probeBolt({ type: "bolt", host: "127.0.0.1", port }, 2000)).detail).toMatch(/ECONNREFUSED/);
    const held: net.Socket[] = [];
    const silent = net.createServer((sock) => void held.push(sock));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", () => r()));
    closers.push(() => {
      held.forEach((x) => x.destroy());
      return stop(silent);
    });
    const started = Date.now();
    const r = await probeBolt({ type: "bolt", host: "127.0.0.1", port: (silent.address() as net.AddressInfo).port }, 300);
    expect(r).toMatchObject({ ok: false, detail: "no Bolt handshake answer within 300 ms" });
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe("the TCP probe", () => {
  it("passes on an open port and fails on a closed one", async () => {
    const web = await listen((_q, r) => r.end());
    closers.push(() => stop(web.server));
    expect(await probeTcp({ type: "tcp", host: "127.0.0.1", port: web.port }, 1000)).toMatchObject({ ok: true, detail: `port ${web.port} open` });
    expect((await probeTcp({ type: "tcp", host: "127.0.0.1", port: await freePort() }, 1000)).ok).toBe(false);
  });
});
