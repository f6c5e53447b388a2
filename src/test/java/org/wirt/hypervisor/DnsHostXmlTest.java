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

  private static final String PUBLISHED = """
      <network>
        <name>lab</name>
        <dns>
          <host ip='10.200.0.5'><hostname>ip-10-200-0-5.wirt.invalid</hostname><hostname>web.lab</hostname><hostname>www.lab</hostname></host>
          <host ip='10.200.0.6'><hostname>ip-10-200-0-6.wirt.invalid</hostname><hostname>db.lab</hostname></host>
        </dns>
      </network>
      """;

  private static DnsHostXml.Host host(String ip, String... names) {
    return new DnsHostXml.Host(ip, List.of(names));
  }

  @Test
  void aNameAlreadyThereChangesNothing() throws Exception {
    assertTrue(DnsHostXml.change(DnsHostXml.hosts(PUBLISHED), "web.lab", "10.200.0.5").isEmpty());
    assertTrue(DnsHostXml.change(DnsHostXml.hosts(PUBLISHED), "gone.lab", null).isEmpty());
  }

  @Test
  void aNewNameIsAddedAfterTheAnchorOrJoinsItsAddress() throws Exception {
    List<DnsHostXml.Host> hosts = DnsHostXml.hosts(PUBLISHED);
    assertEquals(new DnsHostXml.Change(List.of(),
            List.of(host("10.200.0.9", "ip-10-200-0-9.wirt.invalid", "new.lab"))),
        DnsHostXml.change(hosts, "new.lab", "10.200.0.9"));
    assertEquals(new DnsHostXml.Change(List.of(hosts.get(1)),
            List.of(host("10.200.0.6", "ip-10-200-0-6.wirt.invalid", "db.lab", "api.lab"))),
        DnsHostXml.change(hosts, "api.lab", "10.200.0.6"));
  }

  @Test
  void entriesWrittenWithoutTheAnchorGetIt() throws Exception {
    List<DnsHostXml.Host> hosts = DnsHostXml.hosts(NETWORK);
    assertEquals(new DnsHostXml.Change(List.of(hosts.get(0)),
            List.of(host("10.200.0.5", "ip-10-200-0-5.wirt.invalid", "web.lab", "www.lab"))),
        DnsHostXml.change(hosts, "web.lab", "10.200.0.5"));
    assertEquals(new DnsHostXml.Change(List.of(hosts.get(1)),
            List.of(host("10.200.0.6", "ip-10-200-0-6.wirt.invalid", "db.lab", "api.lab"))),
        DnsHostXml.change(hosts, "api.lab", "10.200.0.6"));
  }

  @Test
  void aMovedNameLeavesItsOldAddressAndKeepsTheOthersThere() throws Exception {
    List<DnsHostXml.Host> hosts = DnsHostXml.hosts(PUBLISHED);
    assertEquals(new DnsHostXml.Change(List.of(hosts.get(0), hosts.get(1)),
            List.of(host("10.200.0.5", "ip-10-200-0-5.wirt.invalid", "www.lab"),
                host("10.200.0.6", "ip-10-200-0-6.wirt.invalid", "db.lab", "web.lab"))),
        DnsHostXml.change(hosts, "web.lab", "10.200.0.6"));
  }

  @Test
  void withdrawingRemovesOnlyThatNameAndTheAnchorWithTheLast() throws Exception {
    List<DnsHostXml.Host> hosts = DnsHostXml.hosts(PUBLISHED);
    assertEquals(new DnsHostXml.Change(List.of(hosts.get(0)),
            List.of(host("10.200.0.5", "ip-10-200-0-5.wirt.invalid", "www.lab"))),
        DnsHostXml.change(hosts, "WEB.lab", null));
    assertEquals(new DnsHostXml.Change(List.of(hosts.get(1)), List.of()),
        DnsHostXml.change(hosts, "db.lab", null));
    assertEquals(new DnsHostXml.Change(List.of(DnsHostXml.hosts(NETWORK).get(1)), List.of()),
        DnsHostXml.change(DnsHostXml.hosts(NETWORK), "db.lab", null));
  }

  @Test
  void readsTheIpv4SubnetsOfANetwork() throws Exception {
    assertEquals(List.of("10.200.0.1/24"), DnsHostXml.subnets(NETWORK));
    assertEquals(List.of("10.1.0.1/16"), DnsHostXml.subnets("<network><ip address='10.1.0.1'"
        + " prefix='16'/><ip family='ipv6' address='fd00::1' prefix='64'/></network>"));
    assertTrue(DnsHostXml.inSubnet("10.200.0.77", "10.200.0.1/24"));
    assertTrue(!DnsHostXml.inSubnet("10.200.1.77", "10.200.0.1/24"));
    assertTrue(DnsHostXml.inSubnet("10.1.255.3", "10.1.0.1/16"));
    assertTrue(!DnsHostXml.isIpv4("10.1.256.3"));
    assertTrue(!DnsHostXml.isIpv4("fd00::1"));
  }
}
