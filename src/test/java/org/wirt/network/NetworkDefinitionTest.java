package org.wirt.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.libvirt.Connect;
import org.libvirt.Network;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * The libvirt network the package ships (packaging/network/network-wirt.xml), checked as XML and
 * by libvirt's own parser on the {@code test:///default} driver, which starts nothing on this
 * machine: a NAT network named {@code wirt} with a range of its own, isolated ports and DHCP.
 */
class NetworkDefinitionTest {
  private static final Path FILE = Path.of("packaging/network/network-wirt.xml");

  @Test
  void isANatNetworkOfItsOwnWithIsolatedPortsAndDhcp() throws Exception {
    Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
        .parse(FILE.toFile());
    Element root = doc.getDocumentElement();
    assertEquals("wirt", text(root, "name"));
    assertEquals("nat", attribute(root, "forward", "mode"));
    assertEquals("yes", attribute(root, "port", "isolated"));
    String bridge = attribute(root, "bridge", "name");
    assertTrue(bridge.length() <= 15, "a Linux interface name has at most 15 bytes: " + bridge);
    String address = attribute(root, "ip", "address");
    assertTrue(address.startsWith("10.97.0."), address);
    assertFalse(address.startsWith("192.168.122."), "libvirt's default network's range");
    Element range = (Element) root.getElementsByTagName("range").item(0);
    assertTrue(range.getAttribute("start").startsWith("10.97.0."), range.getAttribute("start"));
    assertTrue(range.getAttribute("end").startsWith("10.97.0."), range.getAttribute("end"));
  }

  @Test
  void libvirtAcceptsIt() throws Exception {
    Connect test = new Connect("test:///default");
    try {
      Network n = test.networkDefineXML(Files.readString(FILE));
      try {
        String back = n.getXMLDesc(0);
        assertTrue(back.contains("<forward mode='nat'"), back);
        assertTrue(back.contains("<port isolated='yes'/>"), back);
      } finally {
        n.undefine();
        n.free();
      }
    } finally {
      test.close();
    }
  }

  private static String text(Element root, String tag) {
    return root.getElementsByTagName(tag).item(0).getTextContent().strip();
  }

  private static String attribute(Element root, String tag, String name) {
    return ((Element) root.getElementsByTagName(tag).item(0)).getAttribute(name);
  }
}
