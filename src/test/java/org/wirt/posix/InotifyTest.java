package org.wirt.posix;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.wirt.testing.Await;
import org.wirt.testing.RealUsers;

class InotifyTest {
  @TempDir Path dir;

  @Test
  void deliversCloseWriteAndMovedToWithRawNames() throws Exception {
    try (Inotify in = Inotify.open()) {
      int wd = in.addWatch(dir.toString(), Inotify.IN_CLOSE_WRITE | Inotify.IN_MOVED_TO | Inotify.IN_ONLYDIR);
      byte[] odd = {'s', 't', '\n', (byte) 0xff};
      Files.write(dir.resolve(".start.tmp"), new byte[] {1});
      try (Fd d = Fd.open(dir.toString(), Fd.O_RDONLY | Fd.O_DIRECTORY | Fd.O_CLOEXEC, 0)) {
        d.renameAt(".start.tmp".getBytes(), d, odd, 0, "rename");
      }
      List<InotifyEvent> events = readUntil(in, 2);
      assertEquals(wd, events.get(0).wd());
      assertTrue((events.get(0).mask() & Inotify.IN_CLOSE_WRITE) != 0);
      assertArrayEquals(".start.tmp".getBytes(), events.get(0).name());
      assertTrue((events.get(1).mask() & Inotify.IN_MOVED_TO) != 0);
      assertArrayEquals(odd, events.get(1).name());
    }
  }

  @Test
  void readTimesOutWithNoEvents() throws Exception {
    try (Inotify in = Inotify.open()) {
      in.addWatch(dir.toString(), Inotify.IN_CLOSE_WRITE);
      long start = System.nanoTime();
      assertEquals(List.of(), in.read(Duration.ofMillis(100)));
      assertTrue(System.nanoTime() - start >= 90_000_000L);
    }
  }

  @Test
  void wakeupReleasesABlockedRead() throws Exception {
    try (Inotify in = Inotify.open()) {
      in.addWatch(dir.toString(), Inotify.IN_CLOSE_WRITE);
      assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
        CompletableFuture<List<InotifyEvent>> read = CompletableFuture.supplyAsync(() -> {
          try {
            return in.read(Duration.ofMinutes(5));
          } catch (IOException e) {
            throw new RuntimeException(e);
          }
        });
        Await.until("the blocked read released by wakeup()", Duration.ofSeconds(10), () -> {
          in.wakeup();
          return read.isDone();
        });
        assertEquals(List.of(), read.get());
      });
    }
  }

  @Test
  void reportsTheWatchLimitAsWatchLimitException() throws Exception {
    Path limit = Path.of("/proc/sys/fs/inotify/max_user_watches");
    String saved = RealUsers.readSysctl(limit);
    List<Path> dirs = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      dirs.add(Files.createDirectory(dir.resolve("d" + i)));
    }
    try (Inotify in = Inotify.open()) {
      WatchLimitException e;
      // The window with a tiny limit is kept as short as possible: other root processes share it.
      RealUsers.writeSysctl(limit, "1");
      try {
        e = assertThrows(WatchLimitException.class, () -> {
          for (Path d : dirs) {
            in.addWatch(d.toString(), Inotify.IN_CLOSE_WRITE);
          }
        });
      } finally {
        RealUsers.writeSysctl(limit, saved);
      }
      assertTrue(e.getMessage().contains("ENOSPC"), e.getMessage());
    }
  }

  @Test
  void addWatchOnAMissingDirectoryNamesErrno() throws Exception {
    try (Inotify in = Inotify.open()) {
      ErrnoException e = assertThrows(ErrnoException.class,
          () -> in.addWatch(dir.resolve("missing").toString(), Inotify.IN_CLOSE_WRITE));
      assertEquals("inotify_add_watch " + dir.resolve("missing") + ": ENOENT (No such file or directory)", e.getMessage());
    }
  }

  /** Reads events (each read blocks up to 200 ms) until there are {@code count} of them. */
  private static List<InotifyEvent> readUntil(Inotify in, int count) throws InterruptedException {
    List<InotifyEvent> events = new ArrayList<>();
    return Await.value(count + " inotify events", Duration.ofSeconds(10), () -> {
      events.addAll(in.read(Duration.ofMillis(200)));
      return events;
    }, e -> e.size() >= count);
  }
}
