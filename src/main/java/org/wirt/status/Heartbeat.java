package org.wirt.status;

import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.tree.HomeTree;
import org.wirt.watch.Watcher;

/**
 * {@code ~/wirt/info/wirtd.json}: tells a user's {@code wirt} whether wirtd is serving them, so it
 * can say so at once instead of waiting for a result that will not come. The heartbeat is the
 * file's modification time, refreshed by the sweep when it is {@link #EVERY} old ({@code
 * utimensat}: a thousand rewritten files a minute cost wirtd a fifth of a second, most of it the
 * file system making new inodes). The content is written when wirtd starts serving the user, when
 * draining changes, when the file is missing, and with {@code "running": false} when wirtd stops.
 * A reader takes a file older than {@code staleAfterSeconds} to mean wirtd is gone.
 */
public final class Heartbeat {
  private static final Logger log = LoggerFactory.getLogger(Heartbeat.class);
  static final Duration EVERY = Duration.ofSeconds(60);
  static final String FILE = "info/wirtd.json";
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final Clock clock;
  private final Instant started;
  private final long pid = ProcessHandle.current().pid();
  private final long staleAfterSeconds;
  private final Map<String, Instant> lastBeat = new ConcurrentHashMap<>();
  /** The content last written for each user: a change (the watch mode) is written at once. */
  private final Map<String, String> lastContent = new ConcurrentHashMap<>();
  private final Watcher watcher;
  private final long sweepSeconds;

  public Heartbeat(Clock clock, Duration sweepInterval, Watcher watcher) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.watcher = Objects.requireNonNull(watcher, "watcher");
    this.sweepSeconds = sweepInterval.toSeconds();
    this.started = clock.instant();
    // A beat is due every EVERY and is written by a sweep, which may come a sweep interval late.
    this.staleAfterSeconds = 2 * (EVERY.toSeconds() + sweepInterval.toSeconds()) + 5;
  }

  /** Writes the user's heartbeat if it is due (or the daemon's state changed: force). */
  public void beat(HomeTree tree, boolean force, boolean draining) {
    Instant now = clock.instant();
    String user = tree.identity().user();
    Instant last = lastBeat.get(user);
    boolean onlyTime = !force && last != null
        && content(tree, true, draining).equals(lastContent.get(user));
    if (onlyTime && now.isBefore(last.plus(EVERY))) {
      return;
    }
    if (onlyTime && touch(tree) || write(tree, true, draining)) {
      lastBeat.put(user, now);
    }
  }

  /** Tells every user wirtd has stopped; best effort, it is shutting down. */
  public void stopped(Collection<HomeTree> trees) {
    for (HomeTree tree : trees) {
      if (lastBeat.containsKey(tree.identity().user())) {
        write(tree, false, false);
      }
    }
  }

  public void forget(String user) {
    lastBeat.remove(user);
    lastContent.remove(user);
  }

  /** Refreshes the file's time; false if it is gone or cannot be touched (it is written again). */
  private static boolean touch(HomeTree tree) {
    try {
      tree.touchFile(FILE);
      return true;
    } catch (IOException e) {
      log.debug("heartbeat not touched user={}", tree.identity().user(), e);
      return false;
    }
  }

  private boolean write(HomeTree tree, boolean running, boolean draining) {
    String content = content(tree, running, draining);
    try {
      tree.writeFile(FILE, content.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      lastContent.put(tree.identity().user(), content);
      return true;
    } catch (IOException e) {
      log.debug("heartbeat not written user={}", tree.identity().user(), e);
      return false;
    }
  }

  /**
   * The file's content. {@code "watched"} says whether every VM directory of the user is watched
   * (a command is seen at once); when false, {@code "sweptEverySeconds"} and {@code "watchNote"}
   * say how long a command may wait and why.
   */
  private String content(HomeTree tree, boolean running, boolean draining) {
    String user = tree.identity().user();
    ObjectNode n = JSON.createObjectNode();
    n.put("running", running);
    n.put("draining", draining);
    n.put("pid", pid);
    n.put("started", started.toString());
    n.put("staleAfterSeconds", staleAfterSeconds);
    int unwatched = watcher.unwatchedOverCap(user);
    boolean sweepOnly = watcher.isSweepOnly(user);
    n.put("watched", !sweepOnly && unwatched == 0);
    if (sweepOnly) {
      n.put("sweptEverySeconds", sweepSeconds);
      n.put("watchNote", "your commands are seen by the sweep every " + sweepSeconds + " s: wirtd"
          + " cannot watch your tree (the system's inotify watch limit, or a file system without"
          + " inotify)");
    } else if (unwatched > 0) {
      n.put("sweptEverySeconds", sweepSeconds);
      n.put("watchNote", unwatched + " of your VM directories are swept every " + sweepSeconds
          + " s instead of watched because you have more than " + watcher.perUser()
          + " VM directories (limits.watchesPerUser); your own VMs are watched first; remove"
          + " directories of command/vm/ you do not need");
    }
    return n.toPrettyString() + "\n";
  }
}
