package org.wirt.serve;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.queue.Scheduler;
import org.wirt.queue.VmKey;
import org.wirt.tree.Entry;
import org.wirt.tree.EntryType;
import org.wirt.tree.HomeTree;
import org.wirt.tree.LegacyTree;
import org.wirt.watch.Watcher;

/**
 * The part of a user's scan that looks at the old layout (issue 15), when {@code legacyTreeDir}
 * is set: queues each {@code ~/virsh/dom-<vm>/} that holds commands as VM {@code <vm>} (the same
 * {@link VmKey} as {@code command/vm/<vm>/}, so one command at a time across both), and watches
 * those directories. What is not served there (a {@code ~/virsh} or {@code dom-} that is a link,
 * a {@code dom-} name that is no VM name) is left alone, never followed, and logged once.
 */
final class LegacyScan {
  private static final Logger log = LoggerFactory.getLogger(LegacyScan.class);
  /** How many "not served" reasons are remembered as logged; past it they are logged at debug. */
  private static final int MAX_TOLD = 10_000;

  private final Watcher watcher;
  private final Scheduler scheduler;
  private final Set<String> told = ConcurrentHashMap.newKeySet();

  LegacyScan(Watcher watcher, Scheduler scheduler) {
    this.watcher = Objects.requireNonNull(watcher, "watcher");
    this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
  }

  /**
   * For a home without the tree: if the user has a usable old directory, creates the tree root as
   * the user, so that what is served from there has a place for its records.
   *
   * @return whether the tree root is there now
   */
  boolean adoptTree(HomeTree tree) {
    Optional<LegacyTree> legacy = tree.legacy();
    if (legacy.isEmpty()) {
      return false;
    }
    String user = tree.identity().user();
    try {
      LegacyTree.Presence p = legacy.get().presence();
      if (p.state() == LegacyTree.State.REFUSED) {
        notServed(user, legacy.get().where(), p.problem());
      }
      if (p.state() != LegacyTree.State.USABLE) {
        return false;
      }
      legacy.get().createTreeRoot();
      return tree.exists();
    } catch (IOException e) {
      log.warn("cannot create the tree for the old layout user={} tree={}", user, tree.root(), e);
      return false;
    }
  }

  /** Queues and watches the user's {@code dom-<vm>/} directories that can be served. */
  void scan(HomeTree tree) {
    Optional<LegacyTree> found = tree.legacy();
    if (found.isEmpty()) {
      return;
    }
    LegacyTree legacy = found.get();
    String user = tree.identity().user();
    try {
      LegacyTree.Scan scan = legacy.scanVmDirectories(name -> LegacyNames.vm(name).isPresent());
      LegacyTree.Presence p = scan.presence();
      if (p.state() != LegacyTree.State.USABLE) {
        watcher.forgetLegacy(user);
        if (p.state() == LegacyTree.State.REFUSED) {
          notServed(user, legacy.where(), p.problem());
        }
        return;
      }
      List<String> vms = new ArrayList<>();
      for (HomeTree.VmDirectory d : scan.directories()) {
        Entry e = d.entry();
        Optional<String> vm = LegacyNames.vm(e.name());
        String where = legacy.where() + "/" + e.name().display();
        if (vm.isEmpty()) {
          notServed(user, where, LegacyNames.problem(e.name()));
        } else if (e.type() != EntryType.DIRECTORY) {
          notServed(user, where, where + (e.type() == EntryType.SYMLINK
              ? " is a symbolic link; wirt never follows links in a home"
              : " is " + e.type().phrase() + ", not a directory") + "; only a directory is served");
        } else {
          vms.add(vm.get());
          if (d.hasCommands()) {
            scheduler.signal(new VmKey(user, vm.get()));
          }
        }
      }
      // As for command/vm/: a directory watched only now is looked into again once watched.
      List<String> unwatched = vms.stream().filter(vm -> !watcher.watchesLegacy(user, vm)).toList();
      watcher.watchLegacy(legacy, vms);
      for (String vm : unwatched) {
        if (watcher.watchesLegacy(user, vm) && legacy.hasCommands(vm)) {
          scheduler.signal(new VmKey(user, vm));
        }
      }
    } catch (IOException e) {
      log.warn("cannot scan the old layout user={} dir={}", user, legacy.where(), e);
    }
  }

  /** Logs once per user and entry why it is not served. */
  private void notServed(String user, String where, String problem) {
    String key = user + "\0" + where + "\0" + problem;
    if (told.size() < MAX_TOLD && told.add(key)) {
      log.warn("not served user={} entry={} problem=\"{}\"", user, where, problem);
    } else {
      log.debug("not served user={} entry={} problem=\"{}\"", user, where, problem);
    }
  }
}
