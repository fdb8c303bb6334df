import { describe, expect, it } from "vitest";
import { BUILD_STACK_FRAMES, withShortStacks } from "../../../components/platform/stacks";

const frames = (e: Error) => (e.stack ?? "").split("\n").filter((l) => l.trimStart().startsWith("at ")).length;

describe("withShortStacks", () => {
  it("keeps the top frame of stacks made while building, and restores the limit after", () => {
    const before = Error.stackTraceLimit;
    const inside = withShortStacks(() => ({ limit: Error.stackTraceLimit, error: new Error("built") }), {});
    expect(inside.limit).toBe(BUILD_STACK_FRAMES);
    expect(frames(inside.error)).toBe(1);
    expect(Error.stackTraceLimit).toBe(before);
    expect(frames(new Error("after"))).toBeGreaterThan(1);
  });

  it("restores the limit when building throws, and the error names where it was thrown", () => {
    const before = Error.stackTraceLimit;
    let thrown: Error | undefined;
    try {
      withShortStacks(function buildThatFails(): never {
        throw new Error("bad spec");
      }, {});
    } catch (e) {
      thrown = e as Error;
    }
    expect(thrown?.message).toBe("bad spec");
    expect(thrown?.stack).toMatch(/at buildThatFails \(.*stacks\.test\.ts:\d+:\d+\)/);
    expect(Error.stackTraceLimit).toBe(before);
  });

  it("keeps whole stacks when the SDK's promise-leak report is on", () => {
    const before = Error.stackTraceLimit;
    const limit = withShortStacks(() => Error.stackTraceLimit, { PULUMI_DEBUG_PROMISE_LEAKS: "1" });
    expect(limit).toBe(before);
  });
});
