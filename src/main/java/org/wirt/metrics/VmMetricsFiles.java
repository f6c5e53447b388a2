package org.wirt.metrics;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
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
import org.wirt.text.SafeText;
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
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String FILE = "metrics.json";

  private final Hypervisor hypervisor;
  private final Supplier<List<HomeTree>> trees;
  private final Function<Identity, List<ManagedDomain>> owned;
  private final Predicate<ManagedDomain> mayRun;
  private final Clock clock;
  private final Duration interval;
  /** The previous pass's reading of each VM that ran then. */
  private Map<UUID, Reading> previous = new HashMap<>();
  /** Per user, the VMs whose file was written (absent: not known since wirtd started). */
  private final Map<String, Set<String>> written = new ConcurrentHashMap<>();
  private final Map<String, String> lastProblem = new ConcurrentHashMap<>();

  /** One reading and when it was taken. */
  private record Reading(Instant time, DomainMetrics metrics) {}

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
    Map<UUID, Reading> now = new HashMap<>();
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

  private void writeUser(HomeTree tree, Map<UUID, Reading> now) throws HypervisorException {
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
        Reading reading = new Reading(clock.instant(), m.get());
        String vm = d.owner().vm();
        tree.writeFile("info/vm/" + vm + "/" + FILE, json(d, reading, previous.get(d.uuid())));
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

  /** The document, with rates against {@code before} (null: none, or the VM started since). */
  byte[] json(ManagedDomain d, Reading r, Reading before) throws IOException {
    DomainMetrics m = r.metrics();
    ObjectNode doc = JSON.createObjectNode();
    doc.put("vm", d.owner().vm());
    doc.put("domain", SafeText.escape(d.name()));
    doc.put("state", m.state().json());
    doc.put("time", r.time().toString());
    doc.put("intervalSeconds", interval.toSeconds());
    Duration elapsed = before == null ? Duration.ZERO : Duration.between(before.time(), r.time());
    boolean rates = before != null && !elapsed.isNegative() && !elapsed.isZero()
        && m.cpuTimeNs() >= before.metrics().cpuTimeNs();
    ObjectNode cpu = doc.putObject("cpu");
    cpu.put("vcpus", m.vcpus());
    cpu.put("timeNs", m.cpuTimeNs());
    if (rates) {
      // Percent of one host CPU, as top shows it: 200 is two vCPUs busy all the time.
      double share = (m.cpuTimeNs() - before.metrics().cpuTimeNs()) * 100.0 / elapsed.toNanos();
      cpu.put("percent", Math.round(share * 10) / 10.0);
    } else {
      cpu.putNull("percent");
    }
    ObjectNode memory = doc.putObject("memory");
    memory.put("currentKiB", m.memoryKiB());
    memory.put("maxKiB", m.maxMemoryKiB());
    optional(memory, "rssKiB", m.rssKiB());
    optional(memory, "guestUsedKiB", m.guestUsedKiB());
    ObjectNode disk = doc.putObject("disk");
    disk.put("allocationBytes", m.diskAllocationBytes());
    ArrayNode disks = disk.putArray("disks");
    for (DomainMetrics.Disk x : m.disks()) {
      ObjectNode o = disks.addObject();
      o.put("target", SafeText.escape(x.target()));
      o.put("capacityBytes", x.capacityBytes());
      o.put("allocationBytes", x.allocationBytes());
      o.put("physicalBytes", x.physicalBytes());
    }
    ObjectNode network = doc.putObject("network");
    network.put("rxBytes", m.rxBytes());
    network.put("txBytes", m.txBytes());
    boolean netRates = rates && m.rxBytes() >= before.metrics().rxBytes()
        && m.txBytes() >= before.metrics().txBytes();
    if (netRates) {
      double seconds = elapsed.toNanos() / 1e9;
      network.put("rxBytesPerSecond", Math.round((m.rxBytes() - before.metrics().rxBytes()) / seconds));
      network.put("txBytesPerSecond", Math.round((m.txBytes() - before.metrics().txBytes()) / seconds));
    } else {
      network.putNull("rxBytesPerSecond");
      network.putNull("txBytesPerSecond");
    }
    ArrayNode nics = network.putArray("interfaces");
    for (DomainMetrics.Nic n : m.nics()) {
      ObjectNode o = nics.addObject();
      o.put("target", SafeText.escape(n.target()));
      o.put("mac", SafeText.escape(n.mac()));
      o.put("rxBytes", n.rxBytes());
      o.put("txBytes", n.txBytes());
      o.put("rxPackets", n.rxPackets());
      o.put("txPackets", n.txPackets());
    }
    return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(doc);
  }

  private static void optional(ObjectNode o, String key, OptionalLong value) {
    if (value.isPresent()) {
      o.put(key, value.getAsLong());
    } else {
      o.putNull(key);
    }
  }
}
