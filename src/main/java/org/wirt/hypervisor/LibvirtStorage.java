package org.wirt.hypervisor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainSnapshot;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.LibvirtException;
import org.libvirt.Network;
import org.libvirt.StoragePool;
import org.libvirt.StorageVol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.w3c.dom.Document;

/** {@link Storage} on the connection of a {@link LibvirtHypervisor}. */
final class LibvirtStorage implements Storage {
  private static final Logger log = LoggerFactory.getLogger(LibvirtStorage.class);
  private static final int UNDEFINE_MANAGED_SAVE = 1;
  private static final int UNDEFINE_SNAPSHOTS_METADATA = 2;
  private static final int UNDEFINE_NVRAM = 4;
  private static final int XML_SECURE = 1;
  private static final int XML_INACTIVE = 2;

  private final Connect connect;
  private final LibvirtHandles handles;

  LibvirtStorage(Connect connect, LibvirtHandles handles) {
    this.connect = Objects.requireNonNull(connect, "connect");
    this.handles = Objects.requireNonNull(handles, "handles");
  }

  @Override
  public void ensureDirPool(String pool, Path directory) throws HypervisorException {
    String attempt = "prepare storage pool " + pool;
    LibvirtErrors.during(attempt, () -> {
      Optional<StoragePool> found = handles.pool(pool);
      StoragePool defined = found.isPresent() ? found.get()
          : connect.storagePoolDefineXML(DefinitionXml.dirPool(pool, directory), 0);
      return LibvirtHandles.using(defined, StoragePool::free, p -> {
        if (found.isEmpty()) {
          p.build(0);
          log.info("defined storage pool pool={} directory={}", pool, directory);
        }
        String path = DefinitionXml.text(DefinitionXml.parse(p.getXMLDesc(0)), "target", "path");
        if (!directory.toString().equals(path)) {
          throw new HypervisorException(attempt + ": the pool exists at " + path + ", not at "
              + directory + "; change the configuration or the pool");
        }
        if (p.isActive() != 1) {
          p.create(0);
        }
        if (p.isPersistent() == 1 && !p.getAutostart()) {
          p.setAutostart(1);
        }
        return null;
      });
    });
  }

  @Override
  public Volume createOverlay(String pool, String name, Path backing, String backingFormat,
      long capacityBytes) throws HypervisorException {
    String xml = DefinitionXml.overlay(name, backing, backingFormat, capacityBytes);
    return onPool(pool, "create volume " + name + " in pool " + pool, p -> LibvirtHandles.using(
        p.storageVolCreateXML(xml, 0), StorageVol::free, LibvirtStorage::volume));
  }

  @Override
  public void refreshPool(String pool) throws HypervisorException {
    onPool(pool, "refresh storage pool " + pool, p -> {
      p.refresh(0);
      return null;
    });
  }

  @Override
  public List<Volume> volumes(String pool) throws HypervisorException {
    return LibvirtErrors.during("list volumes of pool " + pool, () -> {
      Optional<StoragePool> found = handles.pool(pool);
      if (found.isEmpty()) {
        return List.of();
      }
      return LibvirtHandles.using(found.get(), StoragePool::free, p -> {
        List<Volume> volumes = new ArrayList<>();
        for (String name : p.listVolumes()) {
          Optional<StorageVol> vol = LibvirtHandles.volume(p, name);
          if (vol.isPresent()) {
            volumes.add(LibvirtHandles.using(vol.get(), StorageVol::free, LibvirtStorage::volume));
          }
        }
        return volumes;
      });
    });
  }

  @Override
  public Optional<Volume> volume(Path path) throws HypervisorException {
    return LibvirtErrors.during("look up volume " + path, () -> {
      Optional<StorageVol> found = handles.volume(path);
      return found.isEmpty() ? Optional.empty()
          : Optional.of(LibvirtHandles.using(found.get(), StorageVol::free, LibvirtStorage::volume));
    });
  }

  @Override
  public boolean deleteVolume(Path path) throws HypervisorException {
    return LibvirtErrors.during("delete volume " + path, () -> {
      Optional<StorageVol> found = handles.volume(path);
      return found.isPresent() && LibvirtHandles.using(found.get(), StorageVol::free, vol -> {
        vol.delete(0);
        log.info("deleted volume path={}", path);
        return true;
      });
    });
  }

  @Override
  public Optional<String> metadata(UUID uuid, String namespace) throws HypervisorException {
    return onDomain(uuid, "read metadata of", "", domain -> {
      try {
        return Optional.of(domain.getMetadata(Domain.MetadataType.ELEMENT, namespace, 0));
      } catch (LibvirtException e) {
        if (LibvirtErrors.is(e, ErrorNumber.VIR_ERR_NO_DOMAIN_METADATA)) {
          return Optional.empty();
        }
        throw e;
      }
    });
  }

  @Override
  public void undefineCompletely(UUID uuid) throws HypervisorException {
    onDomain(uuid, "undefine", "", domain -> {
      int flags = UNDEFINE_MANAGED_SAVE | UNDEFINE_SNAPSHOTS_METADATA;
      try {
        domain.undefine(flags | UNDEFINE_NVRAM);
      } catch (LibvirtException e) {
        // Drivers without NVRAM (the test driver) refuse the flag as unsupported.
        if (!LibvirtErrors.is(e, ErrorNumber.VIR_ERR_INVALID_ARG)) {
          throw e;
        }
        domain.undefine(flags);
      }
      return null;
    });
  }

  @Override
  public NextBoot nextBoot(UUID uuid) throws HypervisorException {
    return DefinitionXml.nextBoot(DefinitionXml.parse(inactiveXml(uuid)));
  }

  @Override
  public void setNextBoot(UUID uuid, NextBoot settings) throws HypervisorException {
    Document doc = DefinitionXml.parse(inactiveXml(uuid));
    String xml = DefinitionXml.withNextBoot(doc, settings, uuid.toString());
    LibvirtErrors.during("change the definition of " + uuid, () -> {
      LibvirtHandles.free(connect.domainDefineXML(xml));
      return null;
    });
  }

  /** The persistent definition, secrets included, so that redefining it loses nothing. */
  private String inactiveXml(UUID uuid) throws HypervisorException {
    return onDomain(uuid, "read the definition of", "",
        domain -> domain.getXMLDesc(XML_SECURE | XML_INACTIVE));
  }

  @Override
  public List<String> snapshots(UUID uuid) throws HypervisorException {
    return onDomain(uuid, "list snapshots of", "",
        domain -> Arrays.stream(domain.snapshotListNames()).sorted().toList());
  }

  @Override
  public void snapshot(UUID uuid, String name) throws HypervisorException {
    String xml = "<domainsnapshot><name>" + OwnerMetadata.escape(name) + "</name></domainsnapshot>";
    onDomain(uuid, "snapshot", " as " + name, domain -> domain.snapshotCreateXML(xml, 0).free());
  }

  @Override
  public void revert(UUID uuid, String name) throws HypervisorException {
    onDomain(uuid, "revert", " to " + name, domain -> LibvirtHandles.using(
        domain.snapshotLookupByName(name), DomainSnapshot::free, domain::revertToSnapshot));
  }

  @Override
  public void deleteSnapshot(UUID uuid, String name) throws HypervisorException {
    String attempt = "delete snapshot " + name + " of";
    onDomain(uuid, attempt, "", domain -> {
      try {
        NativeDomain.deleteSnapshot(domain.snapshotLookupByName(name), 0);
        return null;
      } catch (NativeDomain.NativeCallException e) {
        throw LibvirtErrors.failure(attempt + " " + LibvirtHandles.nameOr(domain, uuid.toString()),
            e.error(), e);
      }
    });
  }

  @Override
  public boolean domainExists(String name) throws HypervisorException {
    return LibvirtErrors.during("look up " + name, () -> {
      Optional<Domain> found = handles.domain(name);
      found.ifPresent(LibvirtHandles::free);
      return found.isPresent();
    });
  }

  @Override
  public boolean networkExists(String name) throws HypervisorException {
    return LibvirtErrors.during("look up network " + name, () -> {
      Optional<Network> found = handles.network(name);
      found.ifPresent(LibvirtHandles::free);
      return found.isPresent();
    });
  }

  @Override
  public List<String> networkSubnets(String network) throws HypervisorException {
    String attempt = "read the addresses of network " + network;
    return LibvirtErrors.during(attempt, () -> {
      Optional<Network> net = handles.network(network);
      if (net.isEmpty()) {
        return List.of();
      }
      try {
        return DnsHostXml.subnets(net.get().getXMLDesc(0));
      } catch (org.xml.sax.SAXException e) {
        throw new HypervisorException(attempt + ": libvirt's network XML does not parse: "
            + e.getMessage());
      } finally {
        LibvirtHandles.free(net.get());
      }
    });
  }

  @Override
  public boolean pointDnsHost(String network, String fqdn, String ip) throws HypervisorException {
    String attempt = (ip == null ? "withdraw " + fqdn : "point " + fqdn + " at " + ip)
        + " in the DNS of network " + network;
    return LibvirtErrors.during(attempt, () -> {
      Network net = handles.network(network).orElseThrow(() -> new HypervisorException(attempt
          + ": libvirt has no network '" + network + "'; an admin defines it (domains.network)"));
      try {
        List<DnsHostXml.Host> hosts;
        try {
          hosts = DnsHostXml.hosts(net.getXMLDesc(0));
        } catch (org.xml.sax.SAXException e) {
          throw new HypervisorException(attempt + ": libvirt's network XML does not parse: "
              + e.getMessage());
        }
        DnsHostXml.Change change = DnsHostXml.change(hosts, fqdn, ip);
        // Only the definition of a network that does not run: LIVE on it is an error.
        int flags = NativeNetwork.AFFECT_CONFIG
            | (net.isActive() == 1 ? NativeNetwork.AFFECT_LIVE : 0);
        try {
          for (DnsHostXml.Host h : change.delete()) {
            NativeNetwork.update(net, NativeNetwork.COMMAND_DELETE, NativeNetwork.SECTION_DNS_HOST,
                DnsHostXml.element(h), flags);
          }
          for (DnsHostXml.Host h : change.add()) {
            NativeNetwork.update(net, NativeNetwork.COMMAND_ADD_LAST,
                NativeNetwork.SECTION_DNS_HOST, DnsHostXml.element(h), flags);
          }
        } catch (NativeDomain.NativeCallException e) {
          throw LibvirtErrors.failure(attempt, e.error(), e);
        }
        if (!change.isEmpty()) {
          log.info("network dns changed network={} fqdn={} ip={}", network, fqdn, ip);
        }
        return !change.isEmpty();
      } finally {
        LibvirtHandles.free(net);
      }
    });
  }

  /**
   * Runs {@code use} on the domain with this UUID and frees it; a libvirt error is a failure to
   * "{@code attempt} <name>{@code detail}".
   */
  private <T> T onDomain(UUID uuid, String attempt, String detail, LibvirtHandles.Use<Domain, T> use)
      throws HypervisorException {
    Domain domain = LibvirtErrors.during(attempt + " " + uuid, () -> handles.domain(uuid))
        .orElseThrow(() -> new HypervisorException(attempt + " " + uuid
            + ": Domain not found: no domain with UUID " + uuid));
    try {
      String what = attempt + " " + LibvirtHandles.nameOr(domain, uuid.toString()) + detail;
      return LibvirtErrors.during(what, () -> use.apply(domain));
    } finally {
      LibvirtHandles.free(domain);
    }
  }

  /** Runs {@code use} on the pool, which must exist, and frees it. */
  private <T> T onPool(String pool, String attempt, LibvirtHandles.Use<StoragePool, T> use)
      throws HypervisorException {
    return LibvirtErrors.during(attempt, () -> {
      StoragePool found = handles.pool(pool).orElseThrow(() -> new HypervisorException(attempt
          + ": no storage pool '" + pool + "'; an admin creates it with `wirtctl image import` (or"
          + " wirtd does at its first create)"));
      return LibvirtHandles.using(found, StoragePool::free, use);
    });
  }

  private static Volume volume(StorageVol vol) throws LibvirtException, HypervisorException {
    Document doc = DefinitionXml.parse(vol.getXMLDesc(0));
    String backing = DefinitionXml.text(doc, "backingStore", "path");
    return new Volume(vol.getName(), Path.of(vol.getPath()), vol.getInfo().capacity,
        backing == null || backing.isEmpty() ? Optional.empty() : Optional.of(Path.of(backing)));
  }
}
