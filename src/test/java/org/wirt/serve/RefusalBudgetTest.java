package org.wirt.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.wirt.testing.MutableClock;

/** The token bucket that bounds how many refusals of one user are recorded in full. */
class RefusalBudgetTest {
  private final MutableClock clock = new MutableClock(Instant.parse("2026-12-03T14:05:00Z"));
  private final RefusalBudget budget = new RefusalBudget(clock, 60, 3);
  private final RefusalBudget.Kind notAVerb = new RefusalBudget.Kind("web", null, "'…' is not a verb");

  @Test
  void aBurstIsRecordedThenCountedAndSummarisedOnceTokensAreBack() {
    for (int i = 0; i < 3; i++) {
      assertTrue(budget.take("mallory"), "the burst");
    }
    for (int i = 0; i < 312; i++) {
      assertFalse(budget.take("mallory"));
      budget.suppress("mallory", notAVerb);
    }
    assertTrue(budget.take("bob"), "another user has a bucket of their own");
    assertEquals(List.of(), budget.due("mallory"), "no token yet for the summary");
    clock.advance(Duration.ofSeconds(1));
    List<RefusalBudget.Summary> due = budget.due("mallory");
    assertEquals(List.of(new RefusalBudget.Summary(notAVerb, 312,
        Instant.parse("2026-12-03T14:05:00Z"))), due);
    assertEquals(0, budget.suppressed("mallory"));
    assertEquals(List.of(), budget.due("mallory"), "told once");
  }

  @Test
  void kindsPerUserAreBoundedTheRestCountedTogether() {
    for (int i = 0; i < 3; i++) {
      budget.take("mallory");
    }
    for (int i = 0; i < 1000; i++) {
      budget.suppress("mallory", new RefusalBudget.Kind("vm" + i, null, "x"));
    }
    clock.advance(Duration.ofMinutes(10));
    List<RefusalBudget.Summary> first = budget.due("mallory");
    assertEquals(3, first.size(), "one token a summary, the bucket holds 3");
    clock.advance(Duration.ofMinutes(10));
    List<RefusalBudget.Summary> rest = new java.util.ArrayList<>(budget.due("mallory"));
    clock.advance(Duration.ofMinutes(10));
    rest.addAll(budget.due("mallory"));
    assertEquals(RefusalBudget.KINDS, first.size() + rest.size());
    assertEquals(1000, first.stream().mapToLong(RefusalBudget.Summary::count).sum()
        + rest.stream().mapToLong(RefusalBudget.Summary::count).sum());
    assertEquals(new RefusalBudget.Kind("-", null, "other refusals"),
        rest.get(rest.size() - 1).kind());
  }

  @Test
  void theReasonLeavesOutWhatVariesFromFileToFile() {
    assertEquals("'…' is not a verb", Rejector.reason("'x1' is not a verb; a command file is named"
        + " <verb> or <verb>.<tag> with a verb among: start, stop"));
    assertEquals(Rejector.reason("'x1' is not a verb; a"), Rejector.reason("'y2' is not a verb; b"));
  }
}
