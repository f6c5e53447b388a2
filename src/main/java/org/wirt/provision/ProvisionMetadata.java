package org.wirt.provision;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.hypervisor.Storage;
import org.wirt.hypervisor.Xml;
import org.xml.sax.SAXException;

/**
 * What {@code create} made for a VM, kept in the domain's {@code <metadata>} so that {@code
 * delete} removes exactly that and nothing else:
 * {@code <wirtp:provision image="debian12" diskGiB="20"><volume path="..."/></wirtp:provision>}.
 */
public record ProvisionMetadata(String image, int diskGiB, List<Path> volumes) {
  public static final String NAMESPACE = "https://wirt.dev/xmlns/provision/1";
  private static final Logger log = LoggerFactory.getLogger(ProvisionMetadata.class);

  public ProvisionMetadata {
    volumes = List.copyOf(volumes);
  }

  /** The element as it goes into the domain XML, with its namespace. */
  String toXml() {
    StringBuilder xml = new StringBuilder("<wirtp:provision xmlns:wirtp='" + NAMESPACE
        + "' image='" + escape(image) + "' diskGiB='" + diskGiB + "'>");
    for (Path v : volumes) {
      xml.append("<wirtp:volume path='").append(escape(v.toString())).append("'/>");
    }
    return xml.append("</wirtp:provision>").toString();
  }

  /** Parses what libvirt hands back (with or without the namespace). */
  public static ProvisionMetadata parse(String xml) {
    try {
      Element root = Xml.parse(xml).getDocumentElement();
      List<Path> volumes = new ArrayList<>();
      NodeList children = root.getChildNodes();
      for (int i = 0; i < children.getLength(); i++) {
        if (children.item(i) instanceof Element e && e.getTagName().endsWith("volume")) {
          volumes.add(Path.of(e.getAttribute("path")));
        }
      }
      return new ProvisionMetadata(root.getAttribute("image"),
          Integer.parseInt(root.getAttribute("diskGiB")), volumes);
    } catch (SAXException | RuntimeException e) {
      throw new IllegalArgumentException("unreadable provision metadata: " + e.getMessage(), e);
    }
  }

  /** Returns the VM's provision metadata; unreadable metadata is logged and counts as none. */
  public static Optional<ProvisionMetadata> read(Storage storage, ManagedDomain d)
      throws HypervisorException {
    Optional<String> xml = storage.metadata(d.uuid(), NAMESPACE);
    if (xml.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(parse(xml.get()));
    } catch (IllegalArgumentException e) {
      log.warn("ignoring provision metadata domain={}", d.name(), e);
      return Optional.empty();
    }
  }

  static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        .replace("'", "&apos;").replace("\"", "&quot;");
  }
}
