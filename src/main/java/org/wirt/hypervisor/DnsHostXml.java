package org.wirt.hypervisor;

import java.io.StringWriter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * The {@code <host ip="…"><hostname>…</hostname></host>} entries of a libvirt network's {@code
 * <dns>}: read from the network's XML and written for {@code virNetworkUpdate}. A host name is
 * user input that ends up in dnsmasq's configuration: it is written through the XML writer (which
 * escapes it) and, before that, checked by the caller against the DNS label rule.
 */
public final class DnsHostXml {

  /** One {@code <host>}: its address and its names, in order. */
  public record Host(String ip, List<String> hostnames) {
    public Host {
      Objects.requireNonNull(ip, "ip");
      hostnames = List.copyOf(hostnames);
    }

    /** Whether this entry names {@code fqdn} (DNS names compare without case). */
    public boolean names(String fqdn) {
      return hostnames.stream().anyMatch(h -> h.equalsIgnoreCase(fqdn));
    }

    /** This entry with {@code fqdn} added (once). */
    Host with(String fqdn) {
      Set<String> names = new LinkedHashSet<>(hostnames);
      if (!names(fqdn)) {
        names.add(fqdn);
      }
      return new Host(ip, new ArrayList<>(names));
    }

    /** This entry without {@code fqdn}. */
    Host without(String fqdn) {
      return new Host(ip, hostnames.stream().filter(h -> !h.equalsIgnoreCase(fqdn)).toList());
    }
  }

  private DnsHostXml() {}

  /** The {@code <host>} element of {@code host}, as {@code virNetworkUpdate} takes it. */
  public static String element(Host host) {
    StringWriter out = new StringWriter();
    try {
      XMLStreamWriter w = XMLOutputFactory.newFactory().createXMLStreamWriter(out);
      w.writeStartElement("host");
      w.writeAttribute("ip", host.ip());
      for (String name : host.hostnames()) {
        w.writeStartElement("hostname");
        w.writeCharacters(name);
        w.writeEndElement();
      }
      w.writeEndElement();
      w.close();
    } catch (XMLStreamException e) {
      throw new IllegalStateException("cannot write a DNS host element", e);
    }
    return out.toString();
  }

  /** The {@code <dns><host>} entries of a network's XML ({@code virNetworkGetXMLDesc}). */
  public static List<Host> hosts(String networkXml) throws SAXException {
    Document doc = Xml.parse(networkXml);
    List<Host> hosts = new ArrayList<>();
    NodeList dns = doc.getDocumentElement().getElementsByTagName("dns");
    for (int i = 0; i < dns.getLength(); i++) {
      NodeList hostNodes = ((Element) dns.item(i)).getElementsByTagName("host");
      for (int j = 0; j < hostNodes.getLength(); j++) {
        Element host = (Element) hostNodes.item(j);
        List<String> names = new ArrayList<>();
        NodeList nameNodes = host.getElementsByTagName("hostname");
        for (int k = 0; k < nameNodes.getLength(); k++) {
          names.add(nameNodes.item(k).getTextContent().trim());
        }
        hosts.add(new Host(host.getAttribute("ip"), names));
      }
    }
    return hosts;
  }

  /** The IPv4 subnets of a network's XML ({@code <ip address netmask|prefix>}), as {@code a.b.c.d/n}. */
  public static List<String> subnets(String networkXml) throws SAXException {
    Document doc = Xml.parse(networkXml);
    List<String> subnets = new ArrayList<>();
    NodeList ips = doc.getDocumentElement().getChildNodes();
    for (int i = 0; i < ips.getLength(); i++) {
      if (!(ips.item(i) instanceof Element ip) || !ip.getTagName().equals("ip")) {
        continue;
      }
      String family = ip.getAttribute("family");
      String address = ip.getAttribute("address");
      if ((!family.isEmpty() && !family.equals("ipv4")) || !isIpv4(address)) {
        continue;
      }
      int prefix;
      if (!ip.getAttribute("prefix").isEmpty()) {
        prefix = Integer.parseInt(ip.getAttribute("prefix").trim());
      } else if (isIpv4(ip.getAttribute("netmask"))) {
        prefix = Integer.bitCount(ipv4(ip.getAttribute("netmask")));
      } else {
        prefix = 24;
      }
      subnets.add(address + "/" + prefix);
    }
    return subnets;
  }

  /** Whether {@code ip} is a dotted IPv4 literal. */
  public static boolean isIpv4(String ip) {
    if (ip == null || !ip.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}")) {
      return false;
    }
    for (String part : ip.split("\\.")) {
      if (Integer.parseInt(part) > 255) {
        return false;
      }
    }
    return true;
  }

  /** Whether the IPv4 literal {@code ip} lies in {@code subnet} ({@code a.b.c.d/n}). */
  public static boolean inSubnet(String ip, String subnet) {
    int slash = subnet.indexOf('/');
    int prefix = Integer.parseInt(subnet.substring(slash + 1));
    int mask = prefix == 0 ? 0 : -1 << (32 - prefix);
    return (ipv4(ip) & mask) == (ipv4(subnet.substring(0, slash)) & mask);
  }

  private static int ipv4(String ip) {
    int value = 0;
    for (String part : ip.split("\\.")) {
      value = value << 8 | Integer.parseInt(part);
    }
    return value;
  }

  /**
   * What to change so that {@code fqdn} resolves to {@code ip} only (or, with {@code ip} null, to
   * nothing), and every other name stays as it is. libvirt matches a DNS host record by its
   * address or any of its names and has no "modify" for them, so an entry that changes is deleted
   * and added again: first all the deletions, then the additions.
   */
  public record Change(List<Host> delete, List<Host> add) {
    public Change {
      delete = List.copyOf(delete);
      add = List.copyOf(add);
    }

    public boolean isEmpty() {
      return delete.isEmpty() && add.isEmpty();
    }
  }

  /**
   * The first name of every {@code <host>} wirt writes: one outside any network's domain (the
   * reserved {@code .invalid}). dnsmasq, when it re-reads its hosts (every update), names a DHCP
   * lease without a client name after the first name its address has there if that name is in
   * the network's domain, and keeps the name after the record is deleted: a withdrawn name would
   * go on resolving from the lease. A first name it ignores for leases keeps leases unnamed.
   */
  public static String anchor(String ip) {
    return "ip-" + ip.replace('.', '-') + ".wirt.invalid";
  }

  /** Computes the {@link Change} that points {@code fqdn} at {@code ip}, or removes it (ip null). */
  public static Change change(List<Host> current, String fqdn, String ip) {
    List<Host> delete = new ArrayList<>();
    List<Host> add = new ArrayList<>();
    boolean present = false;
    for (Host h : current) {
      boolean sameIp = h.ip().equals(ip);
      if (h.names(fqdn) && sameIp && h.hostnames().get(0).equals(anchor(ip))) {
        present = true;
      } else if (h.names(fqdn) && sameIp) {
        // Written without the anchor (by hand, or by an older wirt): written again with it.
        delete.add(h);
        add.add(anchored(h));
        present = true;
      } else if (h.names(fqdn)) {
        delete.add(h);
        Host rest = h.without(fqdn);
        if (rest.hostnames().stream().anyMatch(n -> !n.equals(anchor(h.ip())))) {
          add.add(rest);
        }
      }
    }
    if (ip != null && !present) {
      Host existing = current.stream().filter(h -> h.ip().equals(ip)).findFirst().orElse(null);
      if (existing == null) {
        add.add(new Host(ip, List.of(anchor(ip), fqdn)));
      } else if (!delete.contains(existing)) {
        delete.add(existing);
        add.add(anchored(existing).with(fqdn));
      }
    }
    return new Change(delete, add);
  }

  /** {@code h} with {@link #anchor} as its first name. */
  private static Host anchored(Host h) {
    List<String> names = new ArrayList<>();
    names.add(anchor(h.ip()));
    h.hostnames().stream().filter(n -> !n.equals(anchor(h.ip()))).forEach(names::add);
    return new Host(h.ip(), names);
  }
}
