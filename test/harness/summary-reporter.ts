// Ends every run with one plain line, `Tests: N passed, N failed, N skipped`, that CI reads whatever
// the runner. Skipped tests print their reason above it (tests that need Docker or Pulumi, say).
import type { Reporter, TestModule } from "vitest/node";

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    let skipped = 0;
    for (const m of modules) {
      if (m.state() === "failed" && [...m.children.allTests()].length === 0) failed++;
      for (const t of m.children.allTests()) {
        const result = t.result();
        if (result.state === "passed") passed++;
        else if (result.state === "failed") failed++;
        else if (result.state === "skipped") {
          skipped++;
          const note = result.note;
          console.log(`skipped: ${t.fullName}${note ? ` (${note})` : ""}`);
        }
      }
    }
    console.log(`Tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  }
}
