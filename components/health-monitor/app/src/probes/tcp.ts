// A TCP connect (a data service that speaks no HTTP), and the Bolt handshake (Neo4j).
import * as net from "net";
import type { BoltCheck, TcpCheck } from "../config";
import { elapsed, errorMessage, type CheckResult } from "./result";

function connect(host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(new Error(`connect to ${host}:${port} timed out after ${timeoutMs} ms`));
    });
    socket.once("connect", () => resolve(socket));
    socket.once("error", (e) => reject(e));
  });
}

export async function probeTcp(c: TcpCheck, timeoutMs: number): Promise<CheckResult> {
  const start = performance.now();
  try {
    const socket = await connect(c.host, c.port, timeoutMs);
    socket.destroy();
    const ms = elapsed(start);
    return { check: "tcp", ok: true, ms, detail: `port ${c.port} open`, steps: [{ step: "connect", ms, ok: true }] };
  } catch (e) {
    const ms = elapsed(start);
    return { check: "tcp", ok: false, ms, detail: errorMessage(e), steps: [{ step: "connect", ms, ok: false }] };
  }
}

// Bolt's handshake: the magic preamble, then four version proposals of 4 bytes each
// (00, range, minor, major). Proposed: 5.8 down to 5.0, then 4.4. The server answers the version it
// chose, or four zero bytes when it shares none. No credentials are sent: the monitor holds none of
// Neo4j's, and the handshake already shows the Bolt server is up and accepting connections.
export const BOLT_HANDSHAKE = Buffer.from([0x60, 0x60, 0xb0, 0x17, 0, 8, 8, 5, 0, 0, 4, 4, 0, 0, 0, 0, 0, 0, 0, 0]);

export async function probeBolt(c: BoltCheck, timeoutMs: number): Promise<CheckResult> {
  const start = performance.now();
  let connectMs = 0;
  try {
    const socket = await connect(c.host, c.port, timeoutMs);
    connectMs = elapsed(start);
    const reply = await new Promise<Buffer>((resolve, reject) => {
      let got = Buffer.alloc(0);
      socket.setTimeout(timeoutMs, () => reject(new Error(`no Bolt handshake answer within ${timeoutMs} ms`)));
      socket.on("data", (d: Buffer) => {
        got = Buffer.concat([got, d]);
        if (got.length >= 4) resolve(got.subarray(0, 4));
      });
      socket.once("error", reject);
      socket.once("close", () => reject(new Error(`connection closed after ${got.length} bytes of the Bolt handshake`)));
      socket.write(BOLT_HANDSHAKE);
    }).finally(() => socket.destroy());
    const ms = elapsed(start);
    const [b0, b1, minor, major] = reply as unknown as [number, number, number, number];
    const fail = (detail: string): CheckResult => ({ check: "bolt", ok: false, ms, detail, steps: [{ step: "handshake", ms, ok: false }] });
    if (b0 === 0 && b1 === 0 && major === 0 && minor === 0) return fail("the server shares no Bolt version with 4.4-5.8");
    // Only a version we proposed is an answer; anything else (an HTTP server's "HTTP/1.1 400") is not Bolt.
    const proposed = (major === 5 && minor <= 8) || (major === 4 && minor === 4);
    if (b0 !== 0 || b1 !== 0 || !proposed) return fail(`not a Bolt server: it answered 0x${reply.toString("hex")} to the handshake`);
    return {
      check: "bolt",
      ok: true,
      ms,
      detail: `Bolt ${major}.${minor}`,
      steps: [
        { step: "connect", ms: connectMs, ok: true },
        { step: "handshake", ms, ok: true },
      ],
    };
  } catch (e) {
    const ms = elapsed(start);
    return { check: "bolt", ok: false, ms, detail: errorMessage(e), steps: [{ step: "handshake", ms, ok: false }] };
  }
}
