package org.wirt.hypervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class DnsHostXmlTest {
  private static final String NETWORK = """
      <network>
        <name>lab</name>
        <dns>
          <host ip='10.200.0.5'><hostname>web.lab</hostname><hostname>www.lab</hostname></host>
          <host ip='10.200.0.6'><hostname>db.lab</hostname></host>
        </dns>
        <ip address='10.200.0.1' netmask='255.255.255.0'/>
      </network>
      """;

  @Test
  void writesTheHostElementThroughTheXmlWriter() {
    assertEquals("<host ip=\"10.0.0.5\"><hostname>web.lab.example.org</hostname></host>",
        DnsHostXml.element(new DnsHostXml.Host("10.0.0.5", List.of("web.lab.example.org"))));
    // Never reached with a valid label, but the writer escapes whatever it is given.
    assertEquals("<host ip=\"1&amp;&quot;\"><hostname>a&lt;/hostname&gt;&amp;</hostname></host>",
        DnsHostXml.element(new DnsHostXml.Host("1&\"", List.of("a</hostname>&"))));
  }

  @Test
  void readsTheHostsOfANetwork() throws Exception {
    assertEquals(List.of(new DnsHostXml.Host("10.200.0.5", List.of("web.lab", "www.lab")),
            new DnsHostXml.Host("10.200.0.6", List.of("db.lab"))),
        DnsHostXml.hosts(NETWORK));
    assertEquals(List.of(), DnsHostXml.hosts("<network><name>x</name></network>"));
  }

  @Test
  void aNameAlreadyThereChangesNothing() throws Exception {
    assertTrue(DnsHostXml.change(DnsHostXml.hosts(NETWORK), "web.lab", "10.200.0.5").isEmpty());
    assertTrue(DnsHostXml.change(DnsHostXml.hosts(NETWORK), "gone.lab", null).isEmpty());
  }

  @Test
  void aNewNameIsAddedOrJoinsItsAddress() throws Exception {
    List<DnsHostXml.Host> hosts = DnsHostXml.hosts(NETWORK);
    assertEquals(new DnsHostXml.Change(List.of(),
            List.of(new DnsHostXml.Host("10.200.0.9", List.of("new.lab")))),
        DnsHostXml.change(hosts, "new.lab", "10.200.0.9"));
    assertEquals(new DnsHostXml.Change(List.of(hosts.get(1)),
            List.of(new DnsHostXml.Host("10.200.0.6", List.of("db.lab", "api.lab")))),
        DnsHostXml.change(hosts, "api.lab", "10.200.0.6"));
  }

  @Test
  void aMovedNameLeavesItsOldAddressAndKeepsTheOthersThere() throws Exception {
    List<DnsHostXml.Host> hosts = DnsHostXml.hosts(NETWORK);
    assertEquals(new DnsHostXml.Change(List.of(hosts.get(0), hosts.get(1)),
            List.of(new DnsHostXml.Host("10.200.0.5", List.of("www.lab")),
                new DnsHostXml.Host("10.200.0.6", List.of("db.lab", "web.lab")))),
        DnsHostXml.change(hosts, "web.lab", "10.200.0.6"));
  }

  @Test
  void withdrawingRemovesOnlyThatName() throws Exception {
    List<DnsHostXml.Host> hosts = DnsHostXml.hosts(NETWORK);
    assertEquals(new DnsHostXml.Change(List.of(hosts.get(0)),
            List.of(new DnsHostXml.Host("10.200.0.5", List.of("www.lab")))),
        DnsHostXml.change(hosts, "WEB.lab", null));
    assertEquals(new DnsHostXml.Change(List.of(hosts.get(1)), List.of()),
        DnsHostXml.change(hosts, "db.lab", null));
  }
}
