// Alert delivery to a webhook (Slack-compatible JSON: a `text` field, plus the alert itself): each alert
// is sent once when raised, again every resend interval while it stays open, and once when resolved.
// What was sent is recorded on the alert (and so survives a restart), which is the de-duplication: a
// condition that persists is one open alert, and an alert is only sent again when its resend is due.
import type { Alert } from "./alerts";

export interface WebhookPayload {
  text: string;
  alert: Pick<Alert, "id" | "type" | "service" | "target" | "severity" | "message" | "timestamp" | "resolved" | "resolvedAt"> & {
    state: "firing" | "resolved";
  };
}

export type Send = (payload: WebhookPayload) => Promise<void>;

export interface AlertSource {
  active(): Alert[];
  all(): Alert[];
}

// After a failed delivery, wait this long before trying again.
export const RETRY_AFTER_MS = 30_000;

function minutes(fromIso: string, to: Date): string {
  const m = Math.max(0, Math.round((to.getTime() - Date.parse(fromIso)) / 60_000));
  return m < 60 ? `${m} min` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function payloadFor(a: Alert, state: "firing" | "resolved", now: Date, resend = false): WebhookPayload {
  const head =
    state === "firing"
      ? `[FIRING${resend ? `, open for ${minutes(a.timestamp, now)}` : ""}] ${a.severity} ${a.type} ${a.target}`
      : `[RESOLVED after ${minutes(a.timestamp, a.resolvedAt ? new Date(a.resolvedAt) : now)}] ${a.type} ${a.target}`;
  const { id, type, service, target, severity, message, timestamp, resolved, resolvedAt } = a;
  return { text: `${head}: ${a.message}`, alert: { id, type, service, target, severity, message, timestamp, resolved, resolvedAt, state } };
}

export class Notifier {
  private busy = false;
  private failedAt = -Infinity;
  sent = 0;
  failures = 0;

  constructor(
    private readonly send: Send | undefined,
    private readonly resendMs: number,
  ) {}

  // Sends what is due; safe to call often (after each check, and on a timer).
  async flush(source: AlertSource, now: Date): Promise<void> {
    if (!this.send || this.busy || now.getTime() - this.failedAt < RETRY_AFTER_MS) return;
    this.busy = true;
    try {
      for (const a of source.active()) {
        const resend = a.notifiedAt !== undefined;
        if (resend && now.getTime() - Date.parse(a.notifiedAt!) < this.resendMs) continue;
        if (!(await this.deliver(payloadFor(a, "firing", now, resend), now))) return;
        a.notifiedAt = now.toISOString();
      }
      for (const a of source.all()) {
        // An alert whose firing was never delivered is not announced as resolved either.
        if (!a.resolved || a.resolutionNotified || a.notifiedAt === undefined) continue;
        if (!(await this.deliver(payloadFor(a, "resolved", now), now))) return;
        a.resolutionNotified = true;
      }
    } finally {
      this.busy = false;
    }
  }

  private async deliver(p: WebhookPayload, now: Date): Promise<boolean> {
    try {
      await this.send!(p);
      this.sent++;
      return true;
    } catch (e) {
      this.failures++;
      this.failedAt = now.getTime();
      console.error(JSON.stringify({ level: "warn", msg: "alert delivery failed", alert: p.alert.id, error: (e as Error).message }));
      return false;
    }
  }
}

// POST to the webhook URL read from its secret file at each delivery (a rotated URL applies at once).
export function webhookSender(readUrl: () => string, timeoutMs = 10_000): Send {
  return async (payload) => {
    const res = await fetch(readUrl(), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`webhook answered HTTP ${res.status}`);
  };
}
