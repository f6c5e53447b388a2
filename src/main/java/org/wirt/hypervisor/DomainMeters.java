package org.wirt.hypervisor;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import org.libvirt.Domain;
import org.libvirt.DomainBlockInfo;
import org.libvirt.DomainInterfaceStats;
import org.libvirt.LibvirtException;
import org.libvirt.MemoryStatistic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Reads what a running domain uses from its handle, one libvirt call per figure: {@code
 * virDomainGetInfo} (CPU time, memory), {@code virDomainMemoryStats}, then {@code
 * virDomainGetBlockInfo} per disk and {@code virDomainInterfaceStats} per card of its live XML.
 * libvirt-java 0.5.3 has no {@code virConnectGetAllDomainStats}, and these calls are what every
 * driver answers (the test driver too).
 */
final class DomainMeters {
  private static final Logger log = LoggerFactory.getLogger(DomainMeters.class);
  /** Bounds the figures kept of a domain an admin gave hundreds of disks or cards. */
  static final int MAX_DEVICES = 64;
  private static final int MEMORY_STAT_UNUSED = 4;
  private static final int MEMORY_STAT_AVAILABLE = 5;
  private static final int MEMORY_STAT_RSS = 7;
  private static final int MEMORY_STATS = 16;

  private DomainMeters() {}

  /** The domain's figures, or empty if it is not running (it stopped meanwhile). */
  static Optional<DomainMetrics> read(UUID uuid, String name, Domain domain)
      throws LibvirtException, HypervisorException, NativeDomain.NativeCallException {
    NativeDomain.Snapshot info = NativeDomain.snapshot(domain);
    DomainState state = DomainStates.state(info.state());
    if (!state.holdsResources()) {
      return Optional.empty();
    }
    Document xml = DefinitionXml.parse(domain.getXMLDesc(0));
    long unused = -1;
    long available = -1;
    long rss = -1;
    try {
      for (MemoryStatistic s : domain.memoryStats(MEMORY_STATS)) {
        switch (s.getTag()) {
          case MEMORY_STAT_UNUSED -> unused = s.getValue();
          case MEMORY_STAT_AVAILABLE -> available = s.getValue();
          case MEMORY_STAT_RSS -> rss = s.getValue();
          default -> { }
        }
      }
    } catch (LibvirtException e) {
      // A guest without a balloon device, or a driver without memory statistics.
      log.trace("no memory statistics domain={}", name, e);
    }
    return Optional.of(new DomainMetrics(uuid, name, state, info.vcpus(), info.cpuTimeNs(),
        info.memoryKiB(), info.maxMemoryKiB(),
        rss < 0 ? OptionalLong.empty() : OptionalLong.of(rss),
        available < 0 || unused < 0 ? OptionalLong.empty()
            : OptionalLong.of(Math.max(0, available - unused)),
        disks(name, domain, xml), nics(name, domain, xml)));
  }

  private static List<DomainMetrics.Disk> disks(String name, Domain domain, Document xml) {
    List<DomainMetrics.Disk> disks = new ArrayList<>();
    NodeList all = xml.getElementsByTagName("disk");
    for (int i = 0; i < all.getLength() && disks.size() < MAX_DEVICES; i++) {
      Element disk = (Element) all.item(i);
      String target = attribute(disk, "target", "dev");
      String device = disk.getAttribute("device");
      if (!(device.isEmpty() || device.equals("disk")) || target == null) {
        continue; // a CD-ROM (the seed) or a floppy is not storage the user fills
      }
      try {
        DomainBlockInfo b = domain.blockInfo(target);
        disks.add(new DomainMetrics.Disk(target, b.getCapacity(), b.getAllocation(),
            b.getPhysical()));
      } catch (LibvirtException e) {
        log.debug("no block info domain={} disk={}", name, target, e);
      }
    }
    return disks;
  }

  private static List<DomainMetrics.Nic> nics(String name, Domain domain, Document xml) {
    List<DomainMetrics.Nic> nics = new ArrayList<>();
    NodeList all = xml.getElementsByTagName("interface");
    for (int i = 0; i < all.getLength() && nics.size() < MAX_DEVICES; i++) {
      Element nic = (Element) all.item(i);
      if (!(nic.getParentNode() instanceof Element parent)
          || !parent.getTagName().equals("devices")) {
        continue;
      }
      String mac = attribute(nic, "mac", "address");
      String target = attribute(nic, "target", "dev");
      // libvirt also finds a card by its MAC address (user-mode networking has no host device).
      String path = target != null ? target : mac;
      if (path == null) {
        continue;
      }
      try {
        DomainInterfaceStats s = domain.interfaceStats(path);
        nics.add(new DomainMetrics.Nic(path, mac, s.rx_bytes, s.tx_bytes, s.rx_packets,
            s.tx_packets));
      } catch (LibvirtException e) {
        log.debug("no interface stats domain={} interface={}", name, path, e);
      }
    }
    return nics;
  }

  /** The attribute of the element's first child {@code child}, or null. */
  private static String attribute(Element parent, String child, String attribute) {
    NodeList children = parent.getElementsByTagName(child);
    if (children.getLength() == 0) {
      return null;
    }
    String value = ((Element) children.item(0)).getAttribute(attribute);
    return value.isEmpty() ? null : value;
  }
}
