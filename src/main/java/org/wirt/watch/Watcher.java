package org.wirt.watch;

import java.io.IOException;
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
import org.wirt.posix.WatchLimitException;
import org.wirt.queue.VmKey;
import org.wirt.threads.ThreadFailures;
import org.wirt.tree.EntryName;
import org.wirt.tree.HomeTree;
import org.wirt.tree.LegacyTree;

/**
 * Turns inotify events on users' command directories into signals (SPEC 4).
 *
 * <p>wirt uses inotify directly rather than {@code java.nio.file.WatchService}, for three reasons:
 * WatchService does not report {@code IN_CLOSE_WRITE}, so a file would be read while {@code echo
 * force > stop} is still writing it; it registers watches by path, following symlinks a user could
 * plant; and it decodes names with the JVM's file name encoding, which mangles names that are not
 * valid in it. Here every watch is added through a directory descriptor opened without following
 * links ({@link HomeTree#addWatch}), names stay raw bytes, and a command is announced when its
 * writer closes it or renames it into place.
 *
 * <p>Events only ever trigger work; they are never trusted for content. Whatever a lost event
 * would have announced, the periodic sweep finds.
 */
public final class Watcher implements Runnable, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Watcher.class);

  static final int VM_DIRECTORIES_MASK =
      Inotify.IN_CREATE | Inotify.IN_MOVED_TO | Inotify.IN_DELETE_SELF | Inotify.IN_MOVE_SELF;
  static final int COMMANDS_MASK = Inotify.IN_CLOSE_WRITE | Inotify.IN_MOVED_TO | Inotify.IN_CREATE
      | Inotify.IN_DELETE_SELF | Inotify.IN_MOVE_SELF;

  private final ThreadFailures failures = ThreadFailures.process();
  private final Inotify inotify;
  private final WatchListener listener;
  private final Map<Integer, Target> targets = new ConcurrentHashMap<>();
  private final Map<VmKey, Integer> vmWatches = new ConcurrentHashMap<>();
  private final Map<String, Integer> userWatches = new ConcurrentHashMap<>();
  private final Set<String> sweepOnly = ConcurrentHashMap.newKeySet();
  /** How many VM directories each user has watched, against {@link #perUser}. */
  private final Map<String, Integer> watchedPerUser = new ConcurrentHashMap<>();
  /** How many VM directories of a user the last {@link #watch} left to the sweep (the cap). */
  private final Map<String, Integer> overCap = new ConcurrentHashMap<>();
  private final int perUser;
  private volatile boolean running = true;
  private long overflows;

  /** The old layout's watches (issue 15): each user's {@code ~/virsh}, and its {@code dom-<vm>/}. */
  private final Map<String, Integer> legacyRootWatches = new ConcurrentHashMap<>();
  private final Map<VmKey, Integer> legacyVmWatches = new ConcurrentHashMap<>();

  /**
   * What a watch descriptor watches: a user's {@code command/vm}, or one VM's directory; with
   * {@code legacy}, {@code ~/virsh} or a {@code dom-<vm>/} of the old layout.
   */
  private record Target(String user, String vm, boolean legacy) {
    Target(String user, String vm) {
      this(user, vm, false);
    }
  }

  /**
   * @param perUser how many VM directories of one user are watched at most ({@code
   *     limits.watchesPerUser}): inotify watches are shared by all users (fs.inotify.max_user_watches
   *     counts root's), so one user with 100,000 VM directories must not push everyone else onto
   *     the sweep. Directories past it are served by the sweep.
   */
  public Watcher(Inotify inotify, WatchListener listener, int perUser) {
    if (perUser < 1) {
      throw new IllegalArgumentException("perUser must be positive, not " + perUser);
    }
    this.inotify = Objects.requireNonNull(inotify, "inotify");
    this.listener = Objects.requireNonNull(listener, "listener");
    this.perUser = perUser;
  }

  /**
   * Makes sure the user's {@code command/vm/} and the given VM directories (the first {@code
   * perUser} of them, in the order given) are watched. Where a watch cannot be added (the watch
   * limit, a file system without inotify), the user is served by the sweep alone, which is logged
   * once.
   */
  public void watch(HomeTree tree, List<String> vms) {
    String user = tree.identity().user();
    if (sweepOnly.contains(user)) {
      return;
    }
    try {
      if (!userWatches.containsKey(user)) {
        int wd = tree.addWatch(inotify, "command/vm", VM_DIRECTORIES_MASK);
        targets.put(wd, new Target(user, null));
        userWatches.put(user, wd);
      }
      int left = 0;
      if (vms.size() > perUser) {
        // Over the cap the first perUser directories are the ones watched (the user's own VMs
        // come first): a watch a directory further down the list holds is given to them.
        Set<String> wanted = Set.copyOf(vms.subList(0, perUser));
        vmWatches.entrySet().removeIf(e -> {
          if (e.getKey().user().equals(user) && !wanted.contains(e.getKey().vm())) {
            drop(e.getValue());
            watchedPerUser.computeIfPresent(user, (u, n) -> n <= 1 ? null : n - 1);
            return true;
          }
          return false;
        });
      }
      for (String vm : vms) {
        VmKey key = new VmKey(user, vm);
        if (!vmWatches.containsKey(key)) {
          if (watchedPerUser.getOrDefault(user, 0) >= perUser) {
            left++;
            continue;
          }
          int wd = tree.addWatch(inotify, "command/vm/" + vm, COMMANDS_MASK);
          targets.put(wd, new Target(user, vm));
          vmWatches.put(key, wd);
          watchedPerUser.merge(user, 1, Integer::sum);
        }
      }
      Integer before = left == 0 ? overCap.remove(user) : overCap.put(user, left);
      if (left > 0 && before == null) {
        log.warn("user={} watches={} unwatched={} mode=partly-swept reason=\"more VM directories"
            + " than limits.watchesPerUser\"", user, perUser, left);
      }
    } catch (WatchLimitException e) {
      degrade(user, "the inotify watch limit is reached (fs.inotify.max_user_watches)", e);
    } catch (IOException e) {
      degrade(user, e.getMessage(), e);
    }
  }

  /**
   * Makes sure the old layout's {@code ~/virsh} and its {@code dom-<vm>/} directories are watched
   * (issue 15). They share the user's budget of {@code perUser} with {@code command/vm/}: what is
   * left of it after the tree's directories goes to these, and the rest is swept.
   */
  public void watchLegacy(LegacyTree legacy, List<String> vms) {
    String user = legacy.tree().identity().user();
    if (sweepOnly.contains(user)) {
      return;
    }
    try {
      if (!legacyRootWatches.containsKey(user)) {
        int wd = legacy.addWatch(inotify, null, VM_DIRECTORIES_MASK);
        targets.put(wd, new Target(user, null, true));
        legacyRootWatches.put(user, wd);
      }
      for (String vm : vms) {
        VmKey key = new VmKey(user, vm);
        if (!legacyVmWatches.containsKey(key) && watchedPerUser.getOrDefault(user, 0) < perUser) {
          try {
            int wd = legacy.addWatch(inotify, vm, COMMANDS_MASK);
            targets.put(wd, new Target(user, vm, true));
            legacyVmWatches.put(key, wd);
            watchedPerUser.merge(user, 1, Integer::sum);
          } catch (WatchLimitException e) {
            throw e;
          } catch (IOException e) {
            // Swapped for a link since the scan, or gone: not watched; the next scan looks again.
            log.debug("cannot watch user={} dir={}/{}{}", user, legacy.where(), LegacyTree.PREFIX, vm, e);
          }
        }
      }
    } catch (WatchLimitException e) {
      degrade(user, "the inotify watch limit is reached (fs.inotify.max_user_watches)", e);
    } catch (IOException e) {
      log.debug("cannot watch user={} dir={}", user, legacy.where(), e);
    }
  }

  /** Returns true if the user's {@code dom-<vm>/} of the old layout is watched. */
  public boolean watchesLegacy(String user, String vm) {
    return legacyVmWatches.containsKey(new VmKey(user, vm));
  }

  /** Removes the watches of the user's old layout (it is gone, migrated or refused). */
  public void forgetLegacy(String user) {
    Integer wd = legacyRootWatches.remove(user);
    if (wd != null) {
      drop(wd);
    }
    legacyVmWatches.entrySet().removeIf(e -> {
      if (e.getKey().user().equals(user)) {
        drop(e.getValue());
        watchedPerUser.computeIfPresent(user, (u, n) -> n <= 1 ? null : n - 1);
        return true;
      }
      return false;
    });
  }

  /** Returns true if the user's VM directory is watched. */
  public boolean watches(String user, String vm) {
    return vmWatches.containsKey(new VmKey(user, vm));
  }

  /**
   * Returns how many of the user's VM directories are not watched because the user has more than
   * {@code perUser}; they are served by the periodic sweep.
   */
  public int unwatchedOverCap(String user) {
    return overCap.getOrDefault(user, 0);
  }

  /** Returns the most VM directories of one user that are watched. */
  public int perUser() {
    return perUser;
  }

  /** Returns true if the user is served by the sweep alone. */
  public boolean isSweepOnly(String user) {
    return sweepOnly.contains(user);
  }

  /** Returns how many directories are watched. */
  public int watchCount() {
    return targets.size();
  }

  /** Removes every watch of a user (they left the group), and forgets their sweep-only mode. */
  public void forget(String user) {
    sweepOnly.remove(user);
    overCap.remove(user);
    watchedPerUser.remove(user);
    Integer wd = userWatches.remove(user);
    if (wd != null) {
      drop(wd);
    }
    forgetLegacy(user);
    vmWatches.entrySet().removeIf(e -> {
      if (e.getKey().user().equals(user)) {
        drop(e.getValue());
        return true;
      }
      return false;
    });
  }

  /** Forgets the user's sweep-only mode so the next {@link #watch} tries inotify again. */
  public void retry(String user) {
    sweepOnly.remove(user);
  }

  /** Reads and dispatches events until {@link #close()}; then closes the inotify instance. */
  @Override
  public void run() {
    try {
      while (running) {
        List<InotifyEvent> events;
        try {
          events = inotify.read(Duration.ofSeconds(60));
        } catch (RuntimeException | Error e) {
          failures.caught("wirt-watch", e);
          continue;
        }
        for (InotifyEvent event : events) {
          failures.turn("wirt-watch", () -> dispatch(event));
        }
      }
    } catch (IOException e) {
      if (running) {
        log.error("inotify read failed; commands are picked up by the sweep only", e);
      }
    } finally {
      inotify.close();
    }
  }

  private void dispatch(InotifyEvent event) {
    int mask = event.mask();
    if ((mask & Inotify.IN_Q_OVERFLOW) != 0) {
      // Logged once: under a flood it can happen again and again, and each is handled alike.
      if (overflows++ == 0) {
        log.warn("inotify queue overflowed; sweeping all users now (further overflows are logged at debug)");
      } else {
        log.debug("inotify queue overflowed again count={}", overflows);
      }
      listener.overflow();
      return;
    }
    Target target = targets.get(event.wd());
    if (target == null) {
      return;
    }
    if ((mask & (Inotify.IN_IGNORED | Inotify.IN_DELETE_SELF | Inotify.IN_MOVE_SELF)) != 0) {
      // The directory is gone or moved; the watch no longer means anything. The user's next
      // scan recreates the directory (if still owned) and watches it again.
      targets.remove(event.wd());
      if (target.legacy()) {
        forgetLegacyTarget(target, event.wd());
      } else if (target.vm() == null) {
        userWatches.remove(target.user(), event.wd());
      } else {
        if (vmWatches.remove(new VmKey(target.user(), target.vm()), event.wd())) {
          watchedPerUser.computeIfPresent(target.user(), (u, n) -> n <= 1 ? null : n - 1);
        }
      }
      listener.vmDirectoriesChanged(target.user());
      return;
    }
    if (target.vm() == null) {
      listener.vmDirectoriesChanged(target.user());
      return;
    }
    boolean complete = (mask & (Inotify.IN_CLOSE_WRITE | Inotify.IN_MOVED_TO)) != 0;
    listener.entryArrived(new VmKey(target.user(), target.vm()), new EntryName(event.name()),
        complete);
  }

  private void forgetLegacyTarget(Target target, int wd) {
    if (target.vm() == null) {
      legacyRootWatches.remove(target.user(), wd);
    } else if (legacyVmWatches.remove(new VmKey(target.user(), target.vm()), wd)) {
      watchedPerUser.computeIfPresent(target.user(), (u, n) -> n <= 1 ? null : n - 1);
    }
  }

  private void degrade(String user, String why, IOException e) {
    if (sweepOnly.add(user)) {
      log.warn("user={} watch=unavailable mode=sweep-only reason=\"{}\"", user, why);
      log.debug("watch failure detail user={}", user, e);
    }
  }

  private void drop(int wd) {
    targets.remove(wd);
    inotify.removeWatch(wd);
  }

  /** Stops {@link #run()}, which closes the inotify instance on its way out. */
  @Override
  public void close() {
    running = false;
    inotify.wakeup();
  }
}
