package org.wirt.hypervisor;

import java.io.StringWriter;
import java.nio.file.Path;
import javax.xml.transform.TransformerException;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/** The libvirt XML that {@link LibvirtStorage} writes and reads: pools, volumes, definitions. */
final class DefinitionXml {
  private DefinitionXml() {}

  /** A directory pool at {@code directory}, its files readable by QEMU. */
  static String dirPool(String pool, Path directory) {
    return "<pool type='dir'><name>" + OwnerMetadata.escape(pool)
        + "</name><target><path>" + OwnerMetadata.escape(directory.toString())
        + "</path><permissions><mode>0755</mode></permissions></target></pool>";
  }

  /** A qcow2 volume of {@code capacityBytes} over {@code backing}, readable by its owner only. */
  static String overlay(String name, Path backing, String backingFormat, long capacityBytes) {
    return """
        <volume type='file'>
          <name>%s</name>
          <capacity unit='bytes'>%d</capacity>
          <target><format type='qcow2'/><permissions><mode>0600</mode></permissions></target>
          <backingStore><path>%s</path><format type='%s'/></backingStore>
        </volume>
        """.formatted(OwnerMetadata.escape(name), capacityBytes,
        OwnerMetadata.escape(backing.toString()), OwnerMetadata.escape(backingFormat));
  }

  /** The vCPUs and memory of a domain definition. */
  static Storage.NextBoot nextBoot(Document doc) throws HypervisorException {
    return new Storage.NextBoot(Integer.parseInt(only(doc, "vcpu").getTextContent().strip()),
        (int) (kib(only(doc, "memory")) / 1024));
  }

  /** The definition {@code doc} with {@code settings} as its vCPUs and memory (maximum and current). */
  static String withNextBoot(Document doc, Storage.NextBoot settings, String what)
      throws HypervisorException {
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
      StringWriter out = new StringWriter();
      TransformerFactory.newInstance().newTransformer().transform(new DOMSource(doc), new StreamResult(out));
      return out.toString();
    } catch (TransformerException e) {
      throw new HypervisorException("write the definition of " + what + ": " + e.getMessage(), false, e);
    }
  }

  /** Returns the text of the first {@code child} of the first {@code parent} element, or null. */
  static String text(Document doc, String parent, String child) {
    NodeList parents = doc.getElementsByTagName(parent);
    for (int i = 0; i < parents.getLength(); i++) {
      NodeList children = ((Element) parents.item(i)).getElementsByTagName(child);
      if (children.getLength() > 0) {
        return children.item(0).getTextContent().strip();
      }
    }
    return null;
  }

  static Document parse(String xml) throws HypervisorException {
    try {
      return Xml.parse(xml);
    } catch (SAXException e) {
      throw new HypervisorException("libvirt returned XML wirt cannot read: " + e.getMessage(),
          false, e);
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
}
