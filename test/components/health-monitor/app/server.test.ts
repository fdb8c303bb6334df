import { describe, expect, it } from "vitest";
import { sameOrigin } from "../../../../components/health-monitor/app/src/server";

describe("the WebSocket origin check", () => {
  it("admits the dashboard's own host, with or without the port a proxy dropped, and clients without Origin", () => {
    const req = (origin: string | undefined, host: string | undefined) => ({ headers: { origin, host } });
    expect(sameOrigin(req(undefined, "127.0.0.1:8083"))).toBe(true);
    expect(sameOrigin(req("http://127.0.0.1:8083", "127.0.0.1:8083"))).toBe(true);
    // nginx's `proxy_set_header Host $host` drops the port.
    expect(sameOrigin(req("http://127.0.0.1:8083", "127.0.0.1"))).toBe(true);
    expect(sameOrigin(req("https://Monitor.Example.com", "monitor.example.com:443"))).toBe(true);
    expect(sameOrigin(req("https://evil.example", "127.0.0.1:8083"))).toBe(false);
    expect(sameOrigin(req("null", "127.0.0.1:8083"))).toBe(false);
    expect(sameOrigin(req("http://127.0.0.1:8083", undefined))).toBe(false);
  });
});
