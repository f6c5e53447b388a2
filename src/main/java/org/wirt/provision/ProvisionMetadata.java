package org.wirt.provision;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;
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
      DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
      factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
      Element root = factory.newDocumentBuilder().parse(new InputSource(new StringReader(xml)))
          .getDocumentElement();
      List<Path> volumes = new ArrayList<>();
      NodeList children = root.getChildNodes();
      for (int i = 0; i < children.getLength(); i++) {
        if (children.item(i) instanceof Element e && e.getTagName().endsWith("volume")) {
          volumes.add(Path.of(e.getAttribute("path")));
        }
      }
      return new ProvisionMetadata(root.getAttribute("image"),
          Integer.parseInt(root.getAttribute("diskGiB")), volumes);
    } catch (ParserConfigurationException | SAXException | IOException
        | RuntimeException e) {
      throw new IllegalArgumentException("unreadable provision metadata: " + e.getMessage(), e);
    }
  }

  static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        .replace("'", "&apos;").replace("\"", "&quot;");
  }
}
