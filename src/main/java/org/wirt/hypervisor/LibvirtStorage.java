package org.wirt.hypervisor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.LibvirtException;
import org.libvirt.StoragePool;
import org.libvirt.StorageVol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/** {@link Storage} on the connection of a {@link LibvirtHypervisor}. */
final class LibvirtStorage implements Storage {
  private static final Logger log = LoggerFactory.getLogger(LibvirtStorage.class);
  private static final int UNDEFINE_MANAGED_SAVE = 1;
  private static final int UNDEFINE_SNAPSHOTS_METADATA = 2;
  private static final int UNDEFINE_NVRAM = 4;
  private static final int XML_SECURE = 1;
  private static final int XML_INACTIVE = 2;

  private final Connect connect;

  LibvirtStorage(Connect connect) {
    this.connect = connect;
  }

  @Override
  public void ensureDirPool(String pool, Path directory) throws HypervisorException {
    String attempt = "prepare storage pool " + pool;
    try {
      StoragePool p = lookupPool(pool);
      if (p == null) {
        p = connect.storagePoolDefineXML("<pool type='dir'><name>" + OwnerMetadata.escape(pool)
            + "</name><target><path>" + OwnerMetadata.escape(directory.toString())
            + "</path><permissions><mode>0755</mode></permissions></target></pool>", 0);
        p.build(0);
        log.info("defined storage pool pool={} directory={}", pool, directory);
      }
      try {
        String path = text(parse(p.getXMLDesc(0)), "target", "path");
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
      } finally {
        p.free();
      }
    } catch (LibvirtException e) {
      throw LibvirtErrors.failure(attempt, e);
    }
  }

  @Override
  public Volume createOverlay(String pool, String name, Path backing, String backingFormat,
      long capacityBytes) throws HypervisorException {
    String xml = """
        <volume type='file'>
          <name>%s</name>
          <capacity unit='bytes'>%d</capacity>
          <target><format type='qcow2'/><permissions><mode>0600</mode></permissions></target>
          <backingStore><path>%s</path><format type='%s'/></backingStore>
        </volume>
        """.formatted(OwnerMetadata.escape(name), capacityBytes,
        OwnerMetadata.escape(backing.toString()), OwnerMetadata.escape(backingFormat));
    String attempt = "create volume " + name + " in pool " + pool;
    try {
      StoragePool p = requirePool(pool, attempt);
      try {
        StorageVol vol = p.storageVolCreateXML(xml, 0);
        try {
          return volume(vol);
        } finally {
          vol.free();
        }
      } finally {
        p.free();
      }
    } catch (LibvirtException e) {
      throw LibvirtErrors.failure(attempt, e);
    }
  }

  @Override
  public void refreshPool(String pool) throws HypervisorException {
    String attempt = "refresh storage pool " + pool;
    try {
      StoragePool p = requirePool(pool, attempt);
      try {
        p.refresh(0);
      } finally {
        p.free();
      }
    } catch (LibvirtException e) {
      throw LibvirtErrors.failure(attempt, e);
    }
  }

  @Override
  public List<Volume> volumes(String pool) throws HypervisorException {
    String attempt = "list volumes of pool " + pool;
    try {
      StoragePool p = lookupPool(pool);
      if (p == null) {
        return List.of();
      }
      try {
        List<Volume> volumes = new ArrayList<>();
        for (String name : p.listVolumes()) {
          StorageVol vol;
          try {
            vol = p.storageVolLookupByName(name);
          } catch (LibvirtException e) {
            if (LibvirtErrors.is(e, ErrorNumber.VIR_ERR_NO_STORAGE_VOL)) {
              continue;
            }
            throw e;
          }
          try {
            volumes.add(volume(vol));
          } finally {
            vol.free();
          }
        }
        return volumes;
      } finally {
        p.free();
      }
    } catch (LibvirtException e) {
      throw LibvirtErrors.failure(attempt, e);
    }
  }

  @Override
  public Optional<Volume> volume(Path path) throws HypervisorException {
    try {
      StorageVol vol = connect.storageVolLookupByPath(path.toString());
      try {
        return Optional.of(volume(vol));
      } finally {
        vol.free();
      }
    } catch (LibvirtException e) {
      if (LibvirtErrors.is(e, ErrorNumber.VIR_ERR_NO_STORAGE_VOL)) {
        return Optional.empty();
      }
      throw LibvirtErrors.failure("look up volume " + path, e);
    }
  }

  @Override
  public boolean deleteVolume(Path path) throws HypervisorException {
    try {
      StorageVol vol = connect.storageVolLookupByPath(path.toString());
      try {
        vol.delete(0);
        log.info("deleted volume path={}", path);
        return true;
      } finally {
        vol.free();
      }
    } catch (LibvirtException e) {
      if (LibvirtErrors.is(e, ErrorNumber.VIR_ERR_NO_STORAGE_VOL)) {
        return false;
      }
      throw LibvirtErrors.failure("delete volume " + path, e);
    }
  }

  @Override
  public Optional<String> metadata(UUID uuid, String namespace) throws HypervisorException {
    Domain domain = domain(uuid, "read metadata of");
    try {
      return Optional.of(domain.getMetadata(Domain.MetadataType.ELEMENT, namespace, 0));
    } catch (LibvirtException e) {
      if (LibvirtErrors.is(e, ErrorNumber.VIR_ERR_NO_DOMAIN_METADATA)) {
        return Optional.empty();
      }
      throw LibvirtErrors.failure("read metadata of " + uuid, e);
    } finally {
      free(domain);
    }
  }

  @Override
  public void undefineCompletely(UUID uuid) throws HypervisorException {
    Domain domain = domain(uuid, "undefine");
    String name = uuid.toString();
    try {
      name = domain.getName();
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
    } catch (LibvirtException e) {
      throw LibvirtErrors.failure("undefine " + name, e);
    } finally {
      free(domain);
    }
  }

  @Override
  public NextBoot nextBoot(UUID uuid) throws HypervisorException {
    Document doc = parse(inactiveXml(uuid));
    return new NextBoot(Integer.parseInt(only(doc, "vcpu").getTextContent().strip()),
        (int) (kib(only(doc, "memory")) / 1024));
  }

  @Override
  public void setNextBoot(UUID uuid, NextBoot settings) throws HypervisorException {
    Document doc = parse(inactiveXml(uuid));
    Element vcpu = only(doc, "vcpu");
    vcpu.removeAttribute("current");
    vcpu.setTextContent(Integer.toString(settings.vcpus()));
    for (String tag : new String[] {"memory", "currentMemory"}) {
      NodeList found = doc.getElementsByTagName(tag);
      if (found.getLength() > 0) {
        Element memory = (Element) found.item(0);
        memory.setAttribute("unit", "KiB");
        memory.setTextContent(Long.toString(settings.memoryMiB() * 1024L));
      }
    }
    try {
      java.io.StringWriter out = new java.io.StringWriter();
      javax.xml.transform.TransformerFactory.newInstance().newTransformer().transform(
          new javax.xml.transform.dom.DOMSource(doc), new javax.xml.transform.stream.StreamResult(out));
      free(connect.domainDefineXML(out.toString()));
    } catch (javax.xml.transform.TransformerException e) {
      throw new HypervisorException("write the definition of " + uuid + ": " + e.getMessage(),
          false, e);
    } catch (LibvirtException e) {
      throw LibvirtErrors.failure("change the definition of " + uuid, e);
    }
  }

  /** The persistent definition, secrets included, so that redefining it loses nothing. */
  private String inactiveXml(UUID uuid) throws HypervisorException {
    Domain domain = domain(uuid, "read the definition of");
    try {
      return domain.getXMLDesc(XML_SECURE | XML_INACTIVE);
    } catch (LibvirtException e) {
      throw LibvirtErrors.failure("read the definition of " + uuid, e);
    } finally {
      free(domain);
    }
  }

  private static Element only(Document doc, String tag) throws HypervisorException {
    NodeList found = doc.getDocumentElement().getElementsByTagName(tag);
    if (found.getLength() == 0) {
      throw new HypervisorException("the domain definition has no <" + tag + ">");
    }
    return (Element) found.item(0);
  }

  private static long kib(Element memory) {
    long value = Long.parseLong(memory.getTextContent().strip());
    return switch (memory.getAttribute("unit")) {
      case "", "KiB", "k" -> value;
      case "MiB", "M" -> value * 1024;
      case "GiB", "G" -> value * 1024 * 1024;
      case "b", "bytes" -> value / 1024;
      default -> value;
    };
  }

  @Override
  public List<String> snapshots(UUID uuid) throws HypervisorException {
    Domain domain = domain(uuid, "list snapshots of");
    try {
      return java.util.Arrays.stream(domain.snapshotListNames()).sorted().toList();
    } catch (LibvirtException e) {
      throw LibvirtErrors.failure("list snapshots of " + nameOf(domain, uuid), e);
    } finally {
      free(domain);
    }
  }

  @Override
  public void snapshot(UUID uuid, String name) throws HypervisorException {
    Domain domain = domain(uuid, "snapshot");
    try {
      domain.snapshotCreateXML("<domainsnapshot><name>" + OwnerMetadata.escape(name)
          + "</name></domainsnapshot>", 0).free();
    } catch (LibvirtException e) {
      throw LibvirtErrors.failure("snapshot " + nameOf(domain, uuid) + " as " + name, e);
    } finally {
      free(domain);
    }
  }

  @Override
  public void revert(UUID uuid, String name) throws HypervisorException {
    Domain domain = domain(uuid, "revert");
    try {
      org.libvirt.DomainSnapshot snapshot = domain.snapshotLookupByName(name);
      try {
        domain.revertToSnapshot(snapshot);
      } finally {
        snapshot.free();
      }
    } catch (LibvirtException e) {
      throw LibvirtErrors.failure("revert " + nameOf(domain, uuid) + " to " + name, e);
    } finally {
      free(domain);
    }
  }

  @Override
  public void deleteSnapshot(UUID uuid, String name) throws HypervisorException {
    Domain domain = domain(uuid, "delete snapshot of");
    try {
      NativeDomain.deleteSnapshot(domain.snapshotLookupByName(name), 0);
    } catch (LibvirtException e) {
      throw LibvirtErrors.failure("delete snapshot " + name + " of " + nameOf(domain, uuid), e);
    } catch (NativeDomain.NativeCallException e) {
      throw LibvirtErrors.failure("delete snapshot " + name + " of " + nameOf(domain, uuid),
          e.error(), e);
    } finally {
      free(domain);
    }
  }

  private static String nameOf(Domain domain, UUID uuid) {
    try {
      return domain.getName();
    } catch (LibvirtException e) {
      return uuid.toString();
    }
  }

  @Override
  public boolean domainExists(String name) throws HypervisorException {
    try {
      free(connect.domainLookupByName(name));
      return true;
    } catch (LibvirtException e) {
      if (LibvirtErrors.is(e, ErrorNumber.VIR_ERR_NO_DOMAIN)) {
        return false;
      }
      throw LibvirtErrors.failure("look up " + name, e);
    }
  }

  private Domain domain(UUID uuid, String attempt) throws HypervisorException {
    try {
      return connect.domainLookupByUUIDString(uuid.toString());
    } catch (LibvirtException e) {
      throw LibvirtErrors.failure(attempt + " " + uuid, e);
    }
  }

  private StoragePool lookupPool(String pool) throws LibvirtException {
    try {
      return connect.storagePoolLookupByName(pool);
    } catch (LibvirtException e) {
      if (LibvirtErrors.is(e, ErrorNumber.VIR_ERR_NO_STORAGE_POOL)) {
        return null;
      }
      throw e;
    }
  }

  private StoragePool requirePool(String pool, String attempt)
      throws LibvirtException, HypervisorException {
    StoragePool p = lookupPool(pool);
    if (p == null) {
      throw new HypervisorException(attempt + ": no storage pool '" + pool + "'; an admin creates "
          + "it with `wirtctl image import` (or wirtd does at its first create)");
    }
    return p;
  }

  private static Volume volume(StorageVol vol) throws LibvirtException, HypervisorException {
    Document doc = parse(vol.getXMLDesc(0));
    String backing = text(doc, "backingStore", "path");
    return new Volume(vol.getName(), Path.of(vol.getPath()), vol.getInfo().capacity,
        backing == null || backing.isEmpty() ? Optional.empty() : Optional.of(Path.of(backing)));
  }

  /** Returns the text of the first {@code child} of the first {@code parent} element, or null. */
  private static String text(Document doc, String parent, String child) {
    NodeList parents = doc.getElementsByTagName(parent);
    for (int i = 0; i < parents.getLength(); i++) {
      NodeList children = ((Element) parents.item(i)).getElementsByTagName(child);
      if (children.getLength() > 0) {
        return children.item(0).getTextContent().strip();
      }
    }
    return null;
  }

  private static Document parse(String xml) throws HypervisorException {
    try {
      return Xml.parse(xml);
    } catch (SAXException e) {
      throw new HypervisorException("libvirt returned XML wirt cannot read: " + e.getMessage(),
          false, e);
    }
  }

  private static void free(Domain domain) {
    try {
      domain.free();
    } catch (LibvirtException e) {
      log.debug("cannot free domain handle", e);
    }
  }
}
