package org.wirt.serve;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.command.Names;
import org.wirt.queue.Scheduler;
import org.wirt.status.DaemonReport;
import org.wirt.tree.Entry;
import org.wirt.tree.EntryType;
import org.wirt.tree.HomeTree;
import org.wirt.watch.Watcher;

/** What {@code wirtctl users} and {@code wirtctl queue} show of the users served. */
public final class Census {
  private static final Logger log = LoggerFactory.getLogger(Census.class);

  private final Roster roster;
  private final Owners owners;
  private final Watcher watcher;
  private final Scheduler scheduler;

  public Census(Roster roster, Owners owners, Watcher watcher, Scheduler scheduler) {
    this.roster = Objects.requireNonNull(roster, "roster");
    this.owners = Objects.requireNonNull(owners, "owners");
    this.watcher = Objects.requireNonNull(watcher, "watcher");
    this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
  }

  /** Every served user, their watch mode and VMs. */
  public List<DaemonReport.UserLine> users() {
    Map<String, Integer> depths = scheduler.depths();
    List<DaemonReport.UserLine> lines = new ArrayList<>();
    for (HomeTree tree : roster.all()) {
      String user = tree.identity().user();
      boolean exists;
      try {
        exists = tree.exists();
      } catch (IOException e) {
        exists = false;
      }
      lines.add(new DaemonReport.UserLine(user, tree.identity().uid(), tree.root().toString(),
          exists, !exists ? "none" : watcher.isSweepOnly(user) ? "sweep-only"
              : watcher.unwatchedOverCap(user) > 0 ? "partly-swept" : "inotify",
          owners.ownedBy(tree.identity()).size(), depths.getOrDefault(user, 0)));
    }
    return lines;
  }

  /** The command files waiting, per VM, of every served user or only of one. */
  public List<DaemonReport.QueueLine> queue(Optional<String> onlyUser) {
    List<DaemonReport.QueueLine> lines = new ArrayList<>();
    for (HomeTree tree : roster.all()) {
      String user = tree.identity().user();
      if (onlyUser.isPresent() && !onlyUser.get().equals(user)) {
        continue;
      }
      try {
        if (!tree.exists()) {
          continue;
        }
        for (Entry e : tree.listVmDirectories()) {
          Optional<String> vm = e.name().text().filter(Names::isVm);
          if (vm.isEmpty() || e.type() != EntryType.DIRECTORY) {
            continue;
          }
          HomeTree.Listing l = tree.oldestCommands(vm.get(), 1,
              Comparator.comparingLong(Entry::mtimeNanos));
          if (l.total() > 0) {
            lines.add(new DaemonReport.QueueLine(user, vm.get(), l.total(),
                l.oldest().get(0).name().toString()));
          }
        }
      } catch (IOException e) {
        log.warn("cannot list the queue of user={}", user, e);
      }
    }
    return lines;
  }
}
