import { describe, expect, it } from "vitest";
import { AlertBook } from "../../../../components/health-monitor/app/src/alerts";
import { Notifier, RETRY_AFTER_MS, type WebhookPayload } from "../../../../components/health-monitor/app/src/notifier";
import type { Condition } from "../../../../components/health-monitor/app/src/thresholds";

const t0 = new Date("2026-12-01T10:00:00Z");
const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);
const down: Condition = { key: "service_down:gmail-1", type: "service_down", target: "gmail-1", service: "gmail", severity: "critical", message: "gmail-1 failed 3 checks in a row" };
const slow: Condition = { key: "high_response_time:rag-1", type: "high_response_time", target: "rag-1", service: "rag", severity: "medium", message: "rag-1 answered in 6000 ms" };

function setup(opts: { fail?: () => boolean } = {}) {
  const sent: WebhookPayload[] = [];
  const notifier = new Notifier(async (p) => {
    if (opts.fail?.()) throw new Error("HTTP 500");
    sent.push(p);
  }, 60 * 60_000);
  return { sent, notifier, book: new AlertBook(100) };
}

describe("alert delivery", () => {
  it("sends an alert once when raised, not again on later checks while it stays open", async () => {
    const { sent, notifier, book } = setup();
    for (let m = 0; m < 10; m++) {
      book.update("gmail-1", [down], at(m));
      await notifier.flush(book, at(m));
    }
    expect(sent).toHaveLength(1);
    expect(sent[0]!.text).toBe("[FIRING] critical service_down gmail-1: gmail-1 failed 3 checks in a row");
    expect(sent[0]!.alert).toMatchObject({ type: "service_down", target: "gmail-1", state: "firing", resolved: false });
  });

  it("sends it again every resend interval while it stays open", async () => {
    const { sent, notifier, book } = setup();
    book.update("gmail-1", [down], at(0));
    for (let m = 0; m <= 130; m += 5) await notifier.flush(book, at(m));
    expect(sent.map((p) => p.text.slice(0, 30))).toEqual(["[FIRING] critical service_down", "[FIRING, open for 1 h 0 min] c", "[FIRING, open for 2 h 0 min] c"]);
  });

  it("sends one resolution, and each alert separately", async () => {
    const { sent, notifier, book } = setup();
    book.update("gmail-1", [down], at(0));
    book.update("rag-1", [slow], at(0));
    await notifier.flush(book, at(0));
    book.update("gmail-1", [], at(7));
    await notifier.flush(book, at(7));
    await notifier.flush(book, at(8));
    expect(sent.map((p) => `${p.alert.state} ${p.alert.target}`)).toEqual(["firing gmail-1", "firing rag-1", "resolved gmail-1"]);
    expect(sent[2]!.text).toBe("[RESOLVED after 7 min] service_down gmail-1: gmail-1 failed 3 checks in a row");
  });

  it("retries a failed delivery after a pause, without losing or doubling it", async () => {
    let failing = true;
    const { sent, notifier, book } = setup({ fail: () => failing });
    book.update("gmail-1", [down], at(0));
    await notifier.flush(book, at(0));
    expect(notifier.failures).toBe(1);
    failing = false;
    // Within the pause nothing is tried.
    await notifier.flush(book, new Date(t0.getTime() + RETRY_AFTER_MS - 1));
    expect(sent).toHaveLength(0);
    await notifier.flush(book, new Date(t0.getTime() + RETRY_AFTER_MS));
    await notifier.flush(book, new Date(t0.getTime() + RETRY_AFTER_MS + 1000));
    expect(sent).toHaveLength(1);
  });

  it("does not announce the resolution of an alert whose firing was never delivered", async () => {
    const { sent, notifier, book } = setup({ fail: () => true });
    book.update("gmail-1", [down], at(0));
    await notifier.flush(book, at(0));
    book.update("gmail-1", [], at(1));
    const ok = new Notifier(async (p) => void sent.push(p), 3_600_000);
    await ok.flush(book, at(2));
    expect(sent).toEqual([]);
  });

  it("remembers what was sent across a restart (the saved alerts)", async () => {
    const { sent, notifier, book } = setup();
    book.update("gmail-1", [down], at(0));
    await notifier.flush(book, at(0));
    const restored = new AlertBook(100, JSON.parse(JSON.stringify(book.all())));
    const again = new Notifier(async (p) => void sent.push(p), 3_600_000);
    restored.update("gmail-1", [down], at(1));
    await again.flush(restored, at(1));
    expect(sent).toHaveLength(1);
  });

  it("does nothing without a webhook", async () => {
    const book = new AlertBook(10);
    book.update("gmail-1", [down], at(0));
    await new Notifier(undefined, 1000).flush(book, at(0));
    expect(book.active()[0]!.notifiedAt).toBeUndefined();
  });
});
