package org.wirt.wirt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.wirt.testing.Await;

/** The two ways a result is waited for: looked for at first, then watched (inotify). */
class ResultWaiterTest {
  @TempDir Path root;
  private UserTree tree;

  @BeforeEach
  void tree() throws IOException {
    Files.createDirectories(root.resolve("info/vm/web/results"));
    Files.writeString(root.resolve("info/wirtd.json"), "{\"running\": true}");
    tree = new UserTree(root, Clock.systemUTC());
  }

  @Test
  void aResultAlreadyThereIsTakenAtOnce() throws Exception {
    answer("t1");
    ResultWaiter.Outcome o = new ResultWaiter(tree, Clock.systemUTC())
        .await("web", "t1", Duration.ofSeconds(30));
    assertEquals("ok", assertInstanceOf(ResultWaiter.Outcome.Done.class, o).result()
        .path("result").asText());
  }

  @Test
  void aResultThatComesWhileWatchedIsTaken() throws Exception {
    long before = inotifyInstances();
    CompletableFuture<ResultWaiter.Outcome> waiting = new CompletableFuture<>();
    Thread waiter = new Thread(() -> {
      try {
        waiting.complete(new ResultWaiter(tree, Clock.systemUTC())
            .await("web", "t2", Duration.ofSeconds(60)));
      } catch (Exception e) {
        waiting.completeExceptionally(e);
      }
    });
    waiter.start();
    // The waiter has stopped looking and watches once it holds an inotify instance of its own.
    Await.until("the waiter watching", Duration.ofSeconds(30), () -> {
      assertTrue(!waiting.isDone(), "the waiter ended before the result: " + waiting);
      return inotifyInstances() > before;
    });
    answer("t2");
    ResultWaiter.Outcome o = waiting.get(30, TimeUnit.SECONDS);
    assertInstanceOf(ResultWaiter.Outcome.Done.class, o);
    waiter.join();
  }

  @Test
  void noTimeLeftMeansNoWait() throws Exception {
    assertInstanceOf(ResultWaiter.Outcome.TimedOut.class, new ResultWaiter(tree, Clock.systemUTC())
        .await("web", "t3", Duration.ZERO));
  }

  /** Written as wirtd writes it: a temporary file renamed into place. */
  private void answer(String tag) throws IOException {
    Path results = root.resolve("info/vm/web/results");
    Path temp = results.resolve("." + tag + ".tmp");
    Files.writeString(temp, "{\"result\": \"ok\", \"message\": \"started\"}");
    Files.move(temp, results.resolve(tag + ".json"), StandardCopyOption.ATOMIC_MOVE);
  }

  /** The inotify instances this JVM holds. */
  private static long inotifyInstances() throws IOException {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.filter(fd -> {
        try {
          return Files.readSymbolicLink(fd).toString().equals("anon_inode:inotify");
        } catch (IOException e) {
          return false; // closed meanwhile
        }
      }).count();
    }
  }
}
