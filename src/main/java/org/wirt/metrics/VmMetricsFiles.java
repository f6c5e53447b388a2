package org.wirt.metrics;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.hypervisor.DomainMetrics;
import org.wirt.hypervisor.Hypervisor;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.tree.HomeTree;
import org.wirt.tree.Identity;

/**
 * Writes each running VM's {@code info/vm/<vm>/metrics.json} into its owner's tree, as the owner
 * ({@link HomeTree#writeFile}): CPU time, memory, disks and network from libvirt, with the CPU
 * share and the network rates since the previous pass. A VM that no longer runs has its file
 * removed. Called on one thread (wirt-metrics); what it keeps between passes is one reading per
 * running VM and the names of the files it wrote, bounded by the VMs.
 */
public final class VmMetricsFiles {
  private static final Logger log = LoggerFactory.getLogger(VmMetricsFiles.class);
  static final String FILE = "metrics.json";

  private final Hypervisor hypervisor;
  private final Supplier<List<HomeTree>> trees;
  private final Function<Identity, List<ManagedDomain>> owned;
  private final Predicate<ManagedDomain> mayRun;
  private final Clock clock;
  private final Duration interval;
  /** The previous pass's reading of each VM that ran then. */
  private Map<UUID, MetricsDocument.Reading> previous = new HashMap<>();
  /** Per user, the VMs whose file was written (absent: not known since wirtd started). */
  private final Map<String, Set<String>> written = new ConcurrentHashMap<>();
  private final Map<String, String> lastProblem = new ConcurrentHashMap<>();

  /**
   * @param trees the served users' trees
   * @param owned a user's VMs, as the daemon's index knows them
   * @param mayRun whether a VM may be running by what libvirt last said (no call to libvirt)
   * @param interval how often the files are written, which {@code metrics.json} says
   */
  public VmMetricsFiles(Hypervisor hypervisor, Supplier<List<HomeTree>> trees,
      Function<Identity, List<ManagedDomain>> owned, Predicate<ManagedDomain> mayRun,
      Clock clock, Duration interval) {
    this.hypervisor = Objects.requireNonNull(hypervisor, "hypervisor");
    this.trees = Objects.requireNonNull(trees, "trees");
    this.owned = Objects.requireNonNull(owned, "owned");
    this.mayRun = Objects.requireNonNull(mayRun, "mayRun");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.interval = Objects.requireNonNull(interval, "interval");
  }

  /** Writes every running VM's file and removes those of VMs that stopped. */
  public void writeAll() {
    Map<UUID, MetricsDocument.Reading> now = new HashMap<>();
    for (HomeTree tree : trees.get()) {
      try {
        writeUser(tree, now);
      } catch (HypervisorException e) {
        // libvirt is away: nothing more to read this pass, and what was written stays.
        log.debug("metrics pass stopped: libvirt unavailable", e);
        break;
      }
    }
    previous = now;
  }

  /** The user is no longer served. */
  public void forget(String user) {
    written.remove(user);
    lastProblem.remove(user);
  }

  private void writeUser(HomeTree tree, Map<UUID, MetricsDocument.Reading> now) throws HypervisorException {
    String user = tree.identity().user();
    List<ManagedDomain> mine = owned.apply(tree.identity());
    // After a start, any VM may have a file from before: each not running is removed once.
    Set<String> before = written.computeIfAbsent(user,
        u -> new HashSet<>(mine.stream().map(d -> d.owner().vm()).toList()));
    Set<String> running = new HashSet<>();
    try {
      for (ManagedDomain d : mine) {
        if (!mayRun.test(d)) {
          continue;
        }
        Optional<DomainMetrics> m;
        try {
          m = hypervisor.metrics(d.uuid());
        } catch (HypervisorException e) {
          if (e.unreachable()) {
            throw e;
          }
          log.debug("no metrics user={} vm={} domain={}", user, d.owner().vm(), d.name(), e);
          continue;
        }
        if (m.isEmpty()) {
          continue;
        }
        MetricsDocument.Reading reading = new MetricsDocument.Reading(clock.instant(), m.get());
        String vm = d.owner().vm();
        tree.writeFile("info/vm/" + vm + "/" + FILE,
            MetricsDocument.of(d, reading, previous.get(d.uuid()), interval));
        now.put(d.uuid(), reading);
        running.add(vm);
        before.add(vm);
      }
      for (String vm : List.copyOf(before)) {
        if (!running.contains(vm)) {
          tree.removeFile("info/vm/" + vm + "/" + FILE);
          before.remove(vm);
        }
      }
    } catch (IOException e) {
      // Tried again every pass: said once per user until it changes.
      String problem = String.valueOf(e.getMessage());
      if (!problem.equals(lastProblem.put(user, problem))) {
        log.warn("cannot write metrics user={}", user, e);
      }
      return;
    }
    lastProblem.remove(user);
  }

}
