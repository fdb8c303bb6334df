// Alerts: raised when a condition appears, resolved when it is gone, each with its timestamps. One open
// alert per condition key, so a condition that persists is one alert, not one per check.
import { randomUUID } from "crypto";
import type { AlertType, Condition, Severity } from "./thresholds";

export interface Alert {
  id: string;
  key: string;
  type: AlertType;
  service: string;
  target: string;
  severity: Severity;
  message: string;
  // When it was raised (ISO), as the PA monitor's alerts had it.
  timestamp: string;
  resolved: boolean;
  resolvedAt?: string;
  // Webhook delivery: when it was last sent, and whether its resolution was.
  notifiedAt?: string;
  resolutionNotified?: boolean;
}

export interface Changes {
  raised: Alert[];
  resolved: Alert[];
}

export class AlertBook {
  private readonly open = new Map<string, Alert>();
  private closed: Alert[] = [];

  constructor(
    private readonly keepResolved: number,
    saved: Alert[] = [],
  ) {
    for (const a of saved) {
      if (a.resolved) this.closed.push(a);
      else this.open.set(a.key, a);
    }
    this.trim();
  }

  // Apply the conditions found for one scope (a target, or the backup): open alerts of that scope whose
  // condition is gone are resolved; new conditions raise alerts. Other scopes are left as they are.
  update(scope: string, conditions: Condition[], now: Date): Changes {
    const changes: Changes = { raised: [], resolved: [] };
    const active = new Map(conditions.map((c) => [c.key, c]));
    for (const a of [...this.open.values()]) {
      if (a.target !== scope) continue;
      const c = active.get(a.key);
      if (c) {
        a.message = c.message;
        continue;
      }
      a.resolved = true;
      a.resolvedAt = now.toISOString();
      this.open.delete(a.key);
      this.closed.push(a);
      changes.resolved.push(a);
    }
    for (const c of conditions) {
      if (this.open.has(c.key)) continue;
      const a: Alert = {
        id: randomUUID(),
        key: c.key,
        type: c.type,
        service: c.service,
        target: c.target,
        severity: c.severity,
        message: c.message,
        timestamp: now.toISOString(),
        resolved: false,
      };
      this.open.set(c.key, a);
      changes.raised.push(a);
    }
    this.trim();
    return changes;
  }

  // Open alerts of targets that are no longer watched (the stack dropped them) are resolved.
  retain(scopes: Set<string>, now: Date): Alert[] {
    const gone = [...this.open.values()].filter((a) => !scopes.has(a.target));
    for (const a of gone) {
      a.resolved = true;
      a.resolvedAt = now.toISOString();
      this.open.delete(a.key);
      this.closed.push(a);
    }
    this.trim();
    return gone;
  }

  active(): Alert[] {
    return [...this.open.values()].sort((a, b) => a.timestamp.localeCompare(b.timestamp));
  }

  all(): Alert[] {
    return [...this.closed, ...this.active()].sort((a, b) => a.timestamp.localeCompare(b.timestamp));
  }

  query(filter: { service?: string; resolved?: boolean }): Alert[] {
    return this.all().filter(
      (a) =>
        (filter.service === undefined || a.service === filter.service || a.target === filter.service) &&
        (filter.resolved === undefined || a.resolved === filter.resolved),
    );
  }

  private trim(): void {
    if (this.closed.length > this.keepResolved) this.closed = this.closed.slice(-this.keepResolved);
  }
}
