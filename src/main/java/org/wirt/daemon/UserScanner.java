package org.wirt.daemon;

import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.command.Names;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.queue.Scheduler;
import org.wirt.queue.VmKey;
import org.wirt.tree.Entry;
import org.wirt.tree.EntryType;
import org.wirt.tree.HomeTree;
import org.wirt.watch.Watcher;

/**
 * Looks at one user's whole tree: keeps the skeleton in place (SPEC 2), refuses what does not
 * belong in {@code command/vm/}, watches every VM directory, queues VMs that have commands, and
 * refreshes {@code status.json} of every VM the user owns.
 */
final class UserScanner {
  private static final Logger log = LoggerFactory.getLogger(UserScanner.class);

  private final Owners owners;
  private final Watcher watcher;
  private final Scheduler scheduler;
  private final StatusKeeper statuses;
  private final Rejector rejector;
  private final Clock clock;

  UserScanner(Owners owners, Watcher watcher, Scheduler scheduler, StatusKeeper statuses,
      Rejector rejector, Clock clock) {
    this.owners = owners;
    this.watcher = watcher;
    this.scheduler = scheduler;
    this.statuses = statuses;
    this.rejector = rejector;
    this.clock = clock;
  }

  /** Scans the user's tree; errors are logged and the next scan tries again. */
  void scan(HomeTree tree) {
    String user = tree.identity().user();
    try {
      if (!tree.exists()) {
        watcher.forget(user);
        return;
      }
      List<ManagedDomain> owned = owners.ownedBy(tree.identity());
      List<String> ownedVms = owned.stream().map(d -> d.owner().vm()).filter(Names::isVm).toList();
      tree.ensureSkeleton(ownedVms);
      List<String> vms = new ArrayList<>();
      for (Entry e : tree.listVmDirectories()) {
        Optional<String> vm = e.name().text().filter(Names::isVm);
        if (vm.isEmpty()) {
          rejector.reject(tree, null, e.name(), "not a valid VM name; a VM name is "
              + Names.VM_RULE, clock.instant());
        } else if (e.type() != EntryType.DIRECTORY) {
          rejector.reject(tree, null, e.name(), "is " + e.type().phrase()
              + ", not a directory; commands go in command/vm/<vm>/<verb>", clock.instant());
        } else {
          vms.add(vm.get());
        }
      }
      watcher.watch(tree, vms);
      for (String vm : vms) {
        // Events can be lost and a new VM directory may arrive full, so every scan looks.
        try {
          if (tree.hasCommands(vm)) {
            scheduler.signal(new VmKey(user, vm));
          }
        } catch (IOException e) {
          log.warn("cannot list user={} vm={}: {}", user, vm, e.getMessage());
        }
      }
      statuses.refreshAll(tree);
    } catch (IOException e) {
      log.warn("cannot scan user={} tree={}: {}", user, tree.root(), e.getMessage());
    }
  }
}
