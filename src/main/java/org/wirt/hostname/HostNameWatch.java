package org.wirt.hostname;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.posix.Inotify;
import org.wirt.posix.InotifyEvent;
import org.wirt.tree.HomeTree;

/**
 * inotify on {@code command/domain/} and each {@code command/domain/<name>/} of the served trees,
 * on an instance of its own (so the VM watcher stays as it is): a command file closed or renamed
 * into place, or a new name directory, asks for a scan of that user's names. A lost event only
 * delays a command to the next sweep.
 */
public final class HostNameWatch implements Runnable, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HostNameWatch.class);
  static final int MASK = Inotify.IN_CLOSE_WRITE | Inotify.IN_MOVED_TO | Inotify.IN_CREATE
      | Inotify.IN_DELETE_SELF | Inotify.IN_MOVE_SELF;

  /** Where events go: the user whose tree changed, and a file whose content is now final. */
  public interface Listener {
    void changed(String user, String label, String entry, boolean complete);
  }

  private record Watched(String user, String label) {}

  private final Inotify inotify;
  private final Listener listener;
  private final int maxPerUser;
  private final Map<Integer, Watched> byWd = new ConcurrentHashMap<>();
  private final Map<String, Set<String>> byUser = new ConcurrentHashMap<>();
  private volatile boolean closed;

  /** @param maxPerUser how many of a user's name directories are watched; the rest are swept */
  public HostNameWatch(Inotify inotify, Listener listener, int maxPerUser) {
    this.inotify = Objects.requireNonNull(inotify, "inotify");
    this.listener = Objects.requireNonNull(listener, "listener");
    this.maxPerUser = maxPerUser;
  }

  /**
   * Watches the user's {@code command/domain/}, if not yet: the user scan asks for it, so that a
   * tree first seen after start is watched before any host-name pass (with host names off, that
   * pass runs only every few minutes).
   */
  public void watch(HomeTree tree) {
    watch(tree, List.of());
  }

  /** Watches the user's {@code command/domain/} and these name directories, if not yet. */
  void watch(HomeTree tree, List<String> labels) {
    String user = tree.identity().user();
    Set<String> mine = byUser.computeIfAbsent(user, u -> ConcurrentHashMap.newKeySet());
    add(tree, mine, "");
    for (String label : labels) {
      if (mine.size() > maxPerUser) {
        break;
      }
      add(tree, mine, label);
    }
  }

  private void add(HomeTree tree, Set<String> mine, String label) {
    if (closed || mine.contains(label)) {
      return;
    }
    String dir = label.isEmpty() ? "command/domain" : "command/domain/" + label;
    try {
      int wd = tree.addWatch(inotify, dir, MASK);
      byWd.put(wd, new Watched(tree.identity().user(), label));
      mine.add(label);
    } catch (IOException e) {
      log.debug("cannot watch user={} dir={}", tree.identity().user(), dir, e);
    }
  }

  /** Forgets a user who is no longer served (their watches go when their directories do). */
  public void forget(String user) {
    byUser.remove(user);
    byWd.values().removeIf(w -> w.user().equals(user));
  }

  @Override
  public void run() {
    while (!closed) {
      List<InotifyEvent> events;
      try {
        events = inotify.read(Duration.ofSeconds(1));
      } catch (IOException e) {
        log.warn("cannot read host name watches; the sweep picks commands up", e);
        return;
      }
      for (InotifyEvent e : events) {
        Watched w = byWd.get(e.wd());
        if (w == null) {
          continue;
        }
        if ((e.mask() & (Inotify.IN_IGNORED | Inotify.IN_DELETE_SELF | Inotify.IN_MOVE_SELF)) != 0) {
          byWd.remove(e.wd());
          Set<String> mine = byUser.get(w.user());
          if (mine != null) {
            mine.remove(w.label());
          }
        }
        String name = new String(e.name(), StandardCharsets.UTF_8);
        boolean complete = (e.mask() & (Inotify.IN_CLOSE_WRITE | Inotify.IN_MOVED_TO)) != 0;
        listener.changed(w.user(), w.label(), name, complete);
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    inotify.wakeup();
    inotify.close();
  }
}
