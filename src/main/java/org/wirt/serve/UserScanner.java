package org.wirt.serve;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.command.Names;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.queue.Scheduler;
import org.wirt.queue.VmKey;
import org.wirt.status.StatusKeeper;
import org.wirt.tree.Entry;
import org.wirt.tree.EntryType;
import org.wirt.tree.HomeTree;
import org.wirt.watch.Watcher;

/**
 * Looks at one user's whole tree: keeps the skeleton in place (SPEC 2), refuses what does not
 * belong in {@code command/vm/}, watches every VM directory, queues VMs that have commands, and
 * refreshes {@code status.json} of every VM the user owns.
 */
public final class UserScanner {
  private static final Logger log = LoggerFactory.getLogger(UserScanner.class);

  private final Owners owners;
  private final Watcher watcher;
  private final Scheduler scheduler;
  private final StatusKeeper statuses;
  private final Rejector rejector;
  private final Clock clock;
  private final LegacyScan legacy;
  private final SettingsFiles settingsFiles;

  /** Told, at every scan of a tree, which of its VM directories hold a settings.json. */
  public interface SettingsFiles {
    SettingsFiles NONE = (tree, vms) -> { };

    void seen(HomeTree tree, java.util.Set<String> vms);
  }

  public UserScanner(Owners owners, Watcher watcher, Scheduler scheduler, StatusKeeper statuses,
      Rejector rejector, Clock clock) {
    this(owners, watcher, scheduler, statuses, rejector, clock, SettingsFiles.NONE);
  }

  /** @param settingsFiles told which VMs have a settings.json, at every scan */
  public UserScanner(Owners owners, Watcher watcher, Scheduler scheduler, StatusKeeper statuses,
      Rejector rejector, Clock clock, SettingsFiles settingsFiles) {
    this.owners = Objects.requireNonNull(owners, "owners");
    this.watcher = Objects.requireNonNull(watcher, "watcher");
    this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    this.statuses = Objects.requireNonNull(statuses, "statuses");
    this.rejector = Objects.requireNonNull(rejector, "rejector");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.legacy = new LegacyScan(watcher, scheduler);
    this.settingsFiles = Objects.requireNonNull(settingsFiles, "settingsFiles");
  }

  /**
   * How often a periodic sweep checks the skeleton and asks libvirt for every VM's state. Between
   * these, lifecycle events keep {@code status.json} current, a missing {@code command/vm} or VM
   * directory is noticed at once, and files are written with their parents; the checks catch what
   * nothing announced (a deleted {@code info/}, a new DHCP address).
   */
  static final Duration SKELETON_RECHECK = Duration.ofMinutes(5);
  static final Duration STATUS_RECHECK = Duration.ofMinutes(5);
  /**
   * How often a running VM's status is read again: a new DHCP address raises no event. A shut-off
   * VM changes only with an event or a command, so it waits for {@link #STATUS_RECHECK}.
   */
  static final Duration RUNNING_RECHECK = Duration.ofSeconds(60);
  /**
   * How often the settings, disks and snapshots of a user's VMs are read from libvirt again, for
   * changes an admin made without an event (a snapshot, metadata); state changes and
   * redefinitions come as events.
   */
  static final Duration FACTS_RECHECK = Duration.ofMinutes(10);

  /** When the skeleton, the statuses and the settings of a user's VMs were last checked. */
  private record Checked(List<String> vms, Instant skeletonAt, Instant statusAt,
      Instant runningAt, Instant factsAt) {}

  private final Map<String, Checked> checked = new ConcurrentHashMap<>();

  private static final java.util.function.Predicate<org.wirt.tree.EntryName> IS_VM =
      name -> name.text().filter(Names::isVm).isPresent();

  /** Scans the user's tree thoroughly (after an event, a reload, a reconnect). */
  void scan(HomeTree tree) {
    scan(tree, true, false);
  }

  /**
   * Scans the user's tree; errors are logged and the next scan tries again. A periodic sweep
   * ({@code thorough} false) leaves out the checks that were done recently. With {@code
   * deferStatuses} the VMs' statuses and info files are left to the caller ({@link
   * StatusKeeper#refreshAll}), so that at start the commands waiting in every tree are queued
   * before 1,000 users' status files are written.
   *
   * @return whether the tree was there and scanned (so its statuses are worth refreshing)
   */
  boolean scan(HomeTree tree, boolean thorough, boolean deferStatuses) {
    String user = tree.identity().user();
    try {
      List<ManagedDomain> owned = owners.ownedBy(tree.identity());
      List<String> ownedVms = owned.stream().map(d -> d.owner().vm()).filter(Names::isVm).toList();
      Instant now = clock.instant();
      Checked last = checked.get(user);
      boolean skeleton = thorough || last == null || !last.vms().equals(ownedVms)
          || !now.isBefore(last.skeletonAt().plus(SKELETON_RECHECK));
      List<HomeTree.VmDirectory> dirs = null;
      if (!skeleton) {
        // The usual periodic case: one walk lists the VM directories and looks into each.
        try {
          dirs = tree.scanVmDirectories(IS_VM, ownedVms);
          java.util.Set<String> present = new java.util.HashSet<>();
          dirs.forEach(d -> d.entry().name().text().ifPresent(present::add));
          skeleton = !present.containsAll(ownedVms);
        } catch (IOException e) {
          skeleton = true;
        }
      }
      if (skeleton) {
        if (!tree.exists() && !legacy.adoptTree(tree)) {
          watcher.forget(user);
          checked.remove(user);
          return false;
        }
        tree.ensureSkeleton(ownedVms);
        dirs = tree.scanVmDirectories(IS_VM, ownedVms);
      }
      boolean refreshStatuses = thorough || last == null || !last.vms().equals(ownedVms)
          || !now.isBefore(last.statusAt().plus(STATUS_RECHECK));
      boolean refreshRunning = refreshStatuses
          || !now.isBefore(last.runningAt().plus(RUNNING_RECHECK));
      boolean recheckFacts = last == null || !now.isBefore(last.factsAt().plus(FACTS_RECHECK));
      checked.put(user, new Checked(ownedVms, skeleton ? now : last.skeletonAt(),
          refreshStatuses ? now : last.statusAt(), refreshRunning ? now : last.runningAt(),
          recheckFacts ? now : last.factsAt()));
      List<String> vms = new ArrayList<>();
      java.util.Set<String> withSettings = new java.util.HashSet<>();
      for (HomeTree.VmDirectory d : dirs) {
        Entry e = d.entry();
        Optional<String> vm = e.name().text().filter(Names::isVm);
        if (vm.isEmpty()) {
          rejector.reject(tree, null, e.name(), "not a valid VM name; a VM name is "
              + Names.VM_RULE, clock.instant());
        } else if (e.type() != EntryType.DIRECTORY) {
          rejector.reject(tree, null, e.name(), "is " + e.type().phrase()
              + ", not a directory; commands go in command/vm/<vm>/<verb>", clock.instant());
        } else {
          vms.add(vm.get());
          if (d.hasCommands()) {
            scheduler.signal(new VmKey(user, vm.get()));
          }
          if (d.hasSettings()) {
            withSettings.add(vm.get());
          }
        }
      }
      settingsFiles.seen(tree, withSettings);
      // A directory not watched until now may have received a command after it was looked into
      // and before its watch: it is looked into again once watched.
      List<String> unwatched = vms.stream().filter(vm -> !watcher.watches(user, vm)).toList();
      // Past limits.watchesPerUser the user's own VMs are the ones watched; the rest are swept.
      java.util.Set<String> own = new java.util.HashSet<>(ownedVms);
      List<String> ownFirst = new ArrayList<>(vms.size());
      vms.stream().filter(own::contains).forEach(ownFirst::add);
      vms.stream().filter(vm -> !own.contains(vm)).forEach(ownFirst::add);
      watcher.watch(tree, ownFirst);
      if (!watcher.isSweepOnly(user)) {
        for (String vm : unwatched) {
          if (!watcher.watches(user, vm)) {
            continue;
          }
          try {
            if (tree.hasCommands(vm)) {
              scheduler.signal(new VmKey(user, vm));
            }
          } catch (IOException e) {
            log.warn("cannot list user={} vm={}", user, vm, e);
          }
        }
      }
      legacy.scan(tree);
      if (deferStatuses) {
        return true;
      } else if (refreshStatuses || recheckFacts) {
        statuses.refreshAll(tree, recheckFacts);
      } else if (refreshRunning) {
        statuses.refreshRunning(tree);
      }
      return true;
    } catch (IOException e) {
      log.warn("cannot scan user={} tree={}", user, tree.root(), e);
      return false;
    }
  }
}
