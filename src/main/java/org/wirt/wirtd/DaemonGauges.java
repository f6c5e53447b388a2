package org.wirt.wirtd;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.metrics.Gauges;
import org.wirt.metrics.UserUsage;
import org.wirt.queue.Scheduler;
import org.wirt.serve.Owners;
import org.wirt.serve.Roster;
import org.wirt.status.Notifier;
import org.wirt.status.QuotaView;
import org.wirt.tree.HomeTree;

/** The textfile's gauges, read from the daemon's parts each time it is written. */
final class DaemonGauges implements Gauges {
  private static final Logger log = LoggerFactory.getLogger(DaemonGauges.class);

  private final Scheduler scheduler;
  private final Notifier notifier;
  private final BooleanSupplier libvirtUp;
  private final Roster roster;
  private final Owners owners;
  private final QuotaView.Source quotas;

  DaemonGauges(Scheduler scheduler, Notifier notifier, BooleanSupplier libvirtUp, Roster roster,
      Owners owners, QuotaView.Source quotas) {
    this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    this.notifier = Objects.requireNonNull(notifier, "notifier");
    this.libvirtUp = Objects.requireNonNull(libvirtUp, "libvirtUp");
    this.roster = Objects.requireNonNull(roster, "roster");
    this.owners = Objects.requireNonNull(owners, "owners");
    this.quotas = Objects.requireNonNull(quotas, "quotas");
  }

  @Override
  public int queueDepth() {
    return scheduler.depths().values().stream().mapToInt(Integer::intValue).sum();
  }

  @Override
  public int mailBacklog() {
    return notifier.backlog();
  }

  @Override
  public boolean libvirtUp() {
    return libvirtUp.getAsBoolean();
  }

  @Override
  public List<UserUsage> usage() {
    List<UserUsage> all = new ArrayList<>();
    for (HomeTree tree : roster.all()) {
      try {
        // What quota.json shows: the cache of what libvirt last said, asked only where unknown.
        QuotaView q = quotas.view(tree.identity(), owners.ownedBy(tree.identity()));
        all.add(new UserUsage(tree.identity().user(), q.vms(), q.limits().vms(), q.vcpus(),
            q.limits().vcpus(), q.memoryMiB(), q.limits().memoryMiB(), q.diskGiB(),
            q.limits().diskGiB()));
      } catch (HypervisorException e) {
        log.debug("no usage for the textfile user={}", tree.identity().user(), e);
      }
    }
    all.sort((a, b) -> a.user().compareTo(b.user()));
    return all;
  }
}
