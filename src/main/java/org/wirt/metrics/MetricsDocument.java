package org.wirt.metrics;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.OptionalLong;
import org.wirt.hypervisor.DomainMetrics;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.text.SafeText;

/**
 * The content of {@code info/vm/<vm>/metrics.json}: one reading of a running VM, with its CPU
 * share and network rates since the reading before (null where there is none, or the VM started
 * again since: its counters went down).
 */
final class MetricsDocument {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One reading and when it was taken. */
  record Reading(Instant time, DomainMetrics metrics) {
    Reading {
      Objects.requireNonNull(time, "time");
      Objects.requireNonNull(metrics, "metrics");
    }
  }

  private MetricsDocument() {}

  /** The document, with rates against {@code before} (null: none, or the VM started since). */
  static byte[] of(ManagedDomain d, Reading r, Reading before, Duration interval)
      throws IOException {
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
