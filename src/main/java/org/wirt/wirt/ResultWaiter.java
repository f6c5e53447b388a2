package org.wirt.wirt;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchService;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Waits for {@code info/vm/<vm>/results/<tag>.json}: for its first 0.1 s by looking for it every
 * 2 ms, then by watching the directories on the way to it (inotify through {@link WatchService}).
 * While it watches, it also looks at the file directly once a second, in case an event was missed,
 * and every few seconds at wirtd's heartbeat, so a daemon that died while the user waits is
 * reported instead of waited for.
 */
final class ResultWaiter {
  private static final Duration HEARTBEAT_CHECK = Duration.ofSeconds(5);
  /**
   * How often and how many times the result is looked for before it is watched: wirtd answers
   * many commands within tens of milliseconds, and an inotify instance, quick to report, costs the
   * kernel ~10 ms to release (docs/BENCHMARKS.md, "CLI start-up"), paid by every wait that made
   * one. At most 50 looks, 2 ms apart, in the first 0.1 s (a loaded machine sleeps longer).
   */
  private static final int QUICK_LOOKS = 50;
  private static final long QUICK_LOOK_MILLIS = 2;
  private static final Duration QUICK_LOOKING = Duration.ofMillis(100);

  /** How a wait ended. */
  sealed interface Outcome {
    record Done(JsonNode result) implements Outcome {}

    record Down(String why) implements Outcome {}

    record TimedOut() implements Outcome {}
  }

  private final UserTree tree;
  private final Clock clock;

  ResultWaiter(UserTree tree, Clock clock) {
    this.tree = Objects.requireNonNull(tree, "tree");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  Outcome await(String vm, String tag, Duration timeout) throws IOException, InterruptedException {
    return awaitIn(tree.resultsDir(vm), tag, timeout);
  }

  /** As {@link #await}, for the results directory {@code results} ({@code info/<kind>/<name>/results}). */
  Outcome awaitIn(Path results, String tag, Duration timeout)
      throws IOException, InterruptedException {
    Path file = results.resolve(tag + ".json");
    // From the deepest to the shallowest: the first that exists is watched, and deeper ones as
    // they appear.
    List<Path> chain = List.of(results, results.getParent(), results.getParent().getParent(),
        tree.root().resolve("info"));
    Instant deadline = clock.instant().plus(timeout);
    Instant quickUntil = clock.instant().plus(QUICK_LOOKING);
    for (int i = 0; i < QUICK_LOOKS && clock.instant().isBefore(quickUntil)
        && clock.instant().isBefore(deadline); i++) {
      Optional<JsonNode> result = tree.json(file);
      if (result.isPresent()) {
        return new Outcome.Done(result.get());
      }
      Thread.sleep(QUICK_LOOK_MILLIS);
    }
    Instant nextBeatCheck = clock.instant().plus(HEARTBEAT_CHECK);
    try (WatchService watch = FileSystems.getDefault().newWatchService()) {
      Set<Path> watched = new HashSet<>();
      while (true) {
        for (Path dir : chain) {
          if (watched.contains(dir)) {
            break;
          }
          if (Files.isDirectory(dir)) {
            // A rename into the directory (how wirtd writes) is reported as a creation.
            dir.register(watch, StandardWatchEventKinds.ENTRY_CREATE);
            watched.add(dir);
            break;
          }
        }
        Optional<JsonNode> result = tree.json(file);
        if (result.isPresent()) {
          return new Outcome.Done(result.get());
        }
        Instant now = clock.instant();
        if (!now.isBefore(deadline)) {
          return new Outcome.TimedOut();
        }
        if (!now.isBefore(nextBeatCheck)) {
          nextBeatCheck = now.plus(HEARTBEAT_CHECK);
          if (tree.daemon() instanceof UserTree.Daemon.Down down) {
            return new Outcome.Down(down.why());
          }
        }
        long waitMs = Math.min(1000, Duration.between(now, deadline).toMillis());
        var key = watch.poll(Math.max(1, waitMs), TimeUnit.MILLISECONDS);
        if (key != null) {
          key.pollEvents();
          key.reset();
        }
      }
    }
  }
}
