package org.wirt.status;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Clock;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.hypervisor.DomainState;
import org.wirt.hypervisor.DomainStatus;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.hypervisor.Storage;
import org.wirt.provision.ProvisionMetadata;
import org.wirt.tree.HomeTree;

/**
 * Writes a user's {@code info/quota.json} (limits and usage) and each VM's {@code settings.json}
 * (SPEC 9), each only when what it shows changed. What libvirt says comes from {@link VmFacts},
 * so a report after a command asks libvirt nothing the command did not change.
 */
final class InfoReport {
  private static final Logger log = LoggerFactory.getLogger(InfoReport.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final VmFacts facts;
  private final QuotaView.Source quotas;
  private final Clock clock;
  private final Map<String, Shown> shown = new ConcurrentHashMap<>();
  private final Map<String, String> lastProblem = new ConcurrentHashMap<>();
  /** What each VM's command/vm/<vm>/settings.json asks for, by "user/vm"; absent: no such file. */
  private final Map<String, DesiredReport> desired = new ConcurrentHashMap<>();

  /** What a user's files show now; reports of one user are serialized on it. */
  private static final class Shown {
    private QuotaView quota;
    private final Map<String, Settings> settings = new HashMap<>();
  }

  /** What a VM's {@code settings.json} shows. */
  private record Settings(String vm, String domain, int vcpus, long memoryMiB, boolean autostart,
      Storage.NextBoot next, List<String> snapshots, Optional<ProvisionMetadata> metadata,
      DomainState state, Optional<DesiredReport> desired) {

    static Settings of(ManagedDomain d, VmFacts.Facts f, Optional<DesiredReport> desired) {
      DomainStatus status = f.status();
      return new Settings(d.owner().vm(), d.name(), status.vcpus(), status.memoryMiB(),
          status.autostart(), f.nextBoot(), f.snapshots(), f.metadata(), status.state(), desired);
    }
  }

  InfoReport(VmFacts facts, QuotaView.Source quotas, Clock clock) {
    this.facts = Objects.requireNonNull(facts, "facts");
    this.quotas = Objects.requireNonNull(quotas, "quotas");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Writes the user's files that changed; a failure is logged once until it changes. */
  void report(HomeTree tree, List<ManagedDomain> owned) {
    String user = tree.identity().user();
    Shown s = shown.computeIfAbsent(user, k -> new Shown());
    try {
      synchronized (s) {
        quota(tree, s, owned);
        Set<String> vms = new HashSet<>();
        for (ManagedDomain d : owned) {
          VmFacts.Facts f = facts.of(d);
          if (f.status().state() == DomainState.UNDEFINED) {
            continue;
          }
          String vm = d.owner().vm();
          vms.add(vm);
          Settings now = Settings.of(d, f,
              Optional.ofNullable(desired.get(user + "/" + vm)));
          if (!now.equals(s.settings.get(vm))) {
            tree.writeFile("info/vm/" + vm + "/settings.json", json(now));
            s.settings.put(vm, now);
          }
        }
        // A VM deleted (or taken back) since: its settings no longer hold.
        for (String vm : List.copyOf(s.settings.keySet())) {
          if (!vms.contains(vm)) {
            tree.removeFile("info/vm/" + vm + "/settings.json");
            s.settings.remove(vm);
          }
        }
      }
    } catch (IOException | HypervisorException e) {
      // Tried at every sweep: say it once per user until it changes.
      String problem = String.valueOf(e.getMessage());
      if (!problem.equals(lastProblem.put(user, problem))) {
        log.warn("cannot write quota user={}", user, e);
      }
      return;
    }
    lastProblem.remove(user);
  }

  /**
   * Takes what the VM's command/vm/<vm>/settings.json asks for (null: there is none).
   *
   * @return whether that changed what its info file shows
   */
  boolean desired(String user, String vm, DesiredReport report) {
    String key = user + "/" + vm;
    DesiredReport before = report == null ? desired.remove(key) : desired.put(key, report);
    return !Objects.equals(before, report);
  }

  /** Whether the user's files were written since wirtd started or the quotas were reloaded. */
  boolean reported(String user) {
    return shown.containsKey(user);
  }

  /** Forgets what was written: the next report writes every file again. */
  void clear() {
    shown.clear();
  }

  private void quota(HomeTree tree, Shown s, List<ManagedDomain> owned)
      throws IOException, HypervisorException {
    QuotaView q = quotas.view(tree.identity(), owned);
    if (q.equals(s.quota)) {
      return;
    }
    ObjectNode doc = JSON.createObjectNode();
    doc.put("user", tree.identity().user());
    doc.put("source", q.source());
    ObjectNode limitsNode = doc.putObject("limits");
    limitsNode.put("vms", q.limits().vms());
    limitsNode.put("vcpus", q.limits().vcpus());
    limitsNode.put("memoryMiB", q.limits().memoryMiB());
    limitsNode.put("diskGiB", q.limits().diskGiB());
    limitsNode.put("domains", q.limits().domains());
    ObjectNode usageNode = doc.putObject("usage");
    usageNode.put("vms", q.vms());
    usageNode.put("vcpus", q.vcpus());
    usageNode.put("memoryMiB", q.memoryMiB());
    usageNode.put("diskGiB", q.diskGiB());
    usageNode.put("domains", q.domains());
    usageNode.put("note",
        "vcpus and memoryMiB count running VMs; diskGiB the virtual size of disks");
    doc.put("updated", clock.instant().toString());
    tree.writeFile("info/quota.json", JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(doc));
    s.quota = q;
  }

  private static byte[] json(Settings v) throws IOException {
    ObjectNode doc = JSON.createObjectNode();
    doc.put("vm", v.vm());
    doc.put("domain", v.domain());
    doc.put("vcpus", v.vcpus());
    doc.put("memoryMiB", v.memoryMiB());
    doc.put("autostart", v.autostart());
    if (v.next().vcpus() != v.vcpus() || v.next().memoryMiB() != v.memoryMiB()) {
      // A running VM keeps what it booted with; the definition's settings wait for its next boot.
      ObjectNode pending = doc.putObject("pending");
      pending.put("vcpus", v.next().vcpus());
      pending.put("memoryMiB", v.next().memoryMiB());
      pending.put("appliesAt", "next boot");
    } else {
      doc.putNull("pending");
    }
    var snapshots = doc.putArray("snapshots");
    v.snapshots().forEach(snapshots::add);
    Optional<ProvisionMetadata> m = v.metadata();
    if (m.isPresent()) {
      doc.put("image", m.get().image());
      doc.put("diskGiB", m.get().diskGiB());
    } else {
      doc.putNull("image");
    }
    // What it is now, and what command/vm/<vm>/settings.json asks for: the drift between them.
    ObjectNode effective = doc.putObject("effective");
    effective.put("state", v.state().json());
    effective.put("vcpus", v.vcpus());
    effective.put("memoryMiB", v.memoryMiB());
    effective.put("autostart", v.autostart());
    effective.put("nextBootVcpus", v.next().vcpus());
    effective.put("nextBootMemoryMiB", v.next().memoryMiB());
    if (v.desired().isEmpty()) {
      doc.putNull("desired");
    } else {
      DesiredReport d = v.desired().get();
      ObjectNode desiredNode = doc.putObject("desired");
      desiredNode.put("file", "command/vm/" + v.vm() + "/settings.json");
      desiredNode.set("settings", JSON.valueToTree(d.settings()));
      if (d.problem() == null) {
        desiredNode.putNull("problem");
      } else {
        desiredNode.put("problem", d.problem());
      }
      var drift = desiredNode.putArray("pending");
      d.pending().forEach(drift::add);
    }
    return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(doc);
  }
}
