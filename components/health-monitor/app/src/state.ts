// History and alerts kept across restarts: one JSON file on the monitor's small volume, written
// atomically (a temporary file renamed over the old one), bounded by the per-target history limit and
// the number of resolved alerts kept.
import * as fs from "fs";
import * as path from "path";
import type { Alert } from "./alerts";
import type { TargetCounts } from "./thresholds";

export interface HistoryEntry {
  timestamp: string;
  target: string;
  status: "healthy" | "degraded" | "unhealthy";
  responseTime: number;
  error?: string;
  tools?: number;
  checks: { check: string; ok: boolean; ms: number; detail: string }[];
}

export interface SavedState {
  version: 1;
  savedAt: string;
  history: Record<string, HistoryEntry[]>;
  counts: Record<string, TargetCounts>;
  alerts: Alert[];
}

export function loadState(file: string | undefined): SavedState | undefined {
  if (!file) return undefined;
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  try {
    const s = JSON.parse(text) as SavedState;
    if (s?.version !== 1 || typeof s.history !== "object" || !Array.isArray(s.alerts)) throw new Error("unknown layout");
    return s;
  } catch (e) {
    // A damaged file must not keep the monitor from starting: set it aside and start empty.
    const aside = `${file}.damaged-${Date.now()}`;
    fs.renameSync(file, aside);
    console.error(JSON.stringify({ level: "warn", msg: "saved state unreadable, starting empty", file, movedTo: aside, error: (e as Error).message }));
    return undefined;
  }
}

export function saveState(file: string, state: SavedState): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, JSON.stringify(state));
  fs.renameSync(tmp, file);
}

export class History {
  private readonly entries = new Map<string, HistoryEntry[]>();

  constructor(
    private readonly perTarget: number,
    saved: Record<string, HistoryEntry[]> = {},
  ) {
    for (const [k, v] of Object.entries(saved)) if (Array.isArray(v)) this.entries.set(k, v.slice(-perTarget));
  }

  add(e: HistoryEntry): void {
    const list = this.entries.get(e.target) ?? [];
    list.push(e);
    if (list.length > this.perTarget) list.splice(0, list.length - this.perTarget);
    this.entries.set(e.target, list);
  }

  of(targets: string[], limit?: number): HistoryEntry[] {
    const all = targets.flatMap((t) => this.entries.get(t) ?? []).sort((a, b) => a.timestamp.localeCompare(b.timestamp));
    return limit ? all.slice(-limit) : all;
  }

  retain(targets: Set<string>): void {
    for (const k of [...this.entries.keys()]) if (!targets.has(k)) this.entries.delete(k);
  }

  toJSON(): Record<string, HistoryEntry[]> {
    return Object.fromEntries(this.entries);
  }
}
