package org.wirt.provision;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.wirt.hypervisor.Xml;
import org.xml.sax.SAXException;

/**
 * What {@code create} made for a VM, kept in the domain's {@code <metadata>} so that {@code
 * delete} removes exactly that and nothing else:
 * {@code <wirtp:provision image="debian12" diskGiB="20"><volume path="..."/></wirtp:provision>}.
 */
record ProvisionMetadata(String image, int diskGiB, List<Path> volumes) {
  static final String NAMESPACE = "https://wirt.dev/xmlns/provision/1";

  ProvisionMetadata {
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
  static ProvisionMetadata parse(String xml) {
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

  static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        .replace("'", "&apos;").replace("\"", "&quot;");
  }
}
