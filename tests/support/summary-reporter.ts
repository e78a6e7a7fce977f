import type { Reporter, SerializedError, TestModule, TestRunEndReason } from 'vitest/node';

/** Counts of individual tests in one run; todo tests count as skipped. */
export interface TestCounts {
  passed: number;
  failed: number;
  skipped: number;
}

/**
 * Counts the tests of a finished run. A module that failed to load (syntax error, throwing
 * import, failing beforeAll) counts as at least one failure, and so does a failed run without a
 * failed test (unhandled errors): a broken run never reads as green.
 */
export function countTests(
  testModules: ReadonlyArray<TestModule>,
  unhandledErrors: ReadonlyArray<SerializedError>,
  reason: TestRunEndReason,
): TestCounts {
  const counts: TestCounts = { passed: 0, failed: 0, skipped: 0 };
  for (const testModule of testModules) {
    let failedInModule = 0;
    for (const test of testModule.children.allTests()) {
      const state = test.result().state;
      if (state === 'passed') counts.passed++;
      else if (state === 'failed') failedInModule++;
      else counts.skipped++; // skipped, todo, or pending in an interrupted run
    }
    if (failedInModule === 0 && (testModule.errors().length > 0 || testModule.state() === 'failed')) {
      failedInModule = 1;
    }
    counts.failed += failedInModule;
  }
  if (counts.failed === 0 && (unhandledErrors.length > 0 || reason === 'failed')) counts.failed = 1;
  return counts;
}

/** Prints `vitest: N passed, N failed, N skipped` as the last line of the run, for CI. */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<SerializedError>,
    reason: TestRunEndReason,
  ): void {
    const { passed, failed, skipped } = countTests(testModules, unhandledErrors, reason);
    process.stdout.write(`vitest: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
