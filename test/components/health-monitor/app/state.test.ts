import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { History, loadState, saveState, type HistoryEntry, type SavedState } from "../../../../components/health-monitor/app/src/state";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "monitor-state-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const entry = (target: string, i: number): HistoryEntry => ({
  timestamp: new Date(Date.UTC(2026, 11, 1, 10, 0, i)).toISOString(),
  target,
  status: "healthy",
  responseTime: i,
  checks: [],
});

describe("history and its file", () => {
  it("keeps at most perTarget entries per target, the newest", () => {
    const h = new History(3);
    for (let i = 0; i < 10; i++) h.add(entry("a", i));
    h.add(entry("b", 0));
    expect(h.of(["a"]).map((e) => e.responseTime)).toEqual([7, 8, 9]);
    expect(h.of(["a", "b"]).map((e) => e.target)).toEqual(["b", "a", "a", "a"]);
    expect(h.of(["a"], 2).map((e) => e.responseTime)).toEqual([8, 9]);
  });

  it("drops the history of targets the stack no longer has", () => {
    const h = new History(5, { a: [entry("a", 1)], gone: [entry("gone", 1)] });
    h.retain(new Set(["a"]));
    expect(Object.keys(h.toJSON())).toEqual(["a"]);
  });

  it("saves atomically and loads what it saved; no file is an empty start", () => {
    const file = path.join(dir, "state.json");
    expect(loadState(file)).toBeUndefined();
    const state: SavedState = { version: 1, savedAt: "2026-12-01T10:00:00.000Z", history: { a: [entry("a", 1)] }, counts: {}, alerts: [] };
    saveState(file, state);
    expect(loadState(file)).toEqual(state);
    expect(fs.readdirSync(dir)).toEqual(["state.json"]);
  });

  it("sets a damaged file aside instead of refusing to start", () => {
    const file = path.join(dir, "damaged.json");
    fs.writeFileSync(file, "{ half a file");
    const warn = vi.spyOn(console, "error").mockImplementation(() => undefined);
    expect(loadState(file)).toBeUndefined();
    warn.mockRestore();
    expect(fs.existsSync(file)).toBe(false);
    expect(fs.readdirSync(dir).some((f) => f.startsWith("damaged.json.damaged-"))).toBe(true);
  });
});
