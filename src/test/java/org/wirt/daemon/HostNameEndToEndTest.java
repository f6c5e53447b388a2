package org.wirt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Hashtable;
import java.util.List;
import java.util.Optional;
import javax.naming.Context;
import javax.naming.NameNotFoundException;
import javax.naming.NamingException;
import javax.naming.directory.Attribute;
import javax.naming.directory.DirContext;
import javax.naming.directory.InitialDirContext;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.wirt.testing.Await;
import org.wirt.testing.GuestLab;
import org.wirt.testing.Libvirtd;
import org.wirt.testing.Programs;
import org.wirt.testing.RealUsers;
import org.wirt.testing.RealUsers.User;
import org.wirt.testing.WirtdFixture;

/**
 * A host name of a real VM, as a real user on the real libvirtd and QEMU: the test guest on an
 * isolated network of the test's own whose dnsmasq serves the zone {@code lab.example.org}; alice
 * writes {@code command/domain/www/config} ({@code {"vm": "web"}}) and {@code start}, and the
 * network's dnsmasq, asked directly at the bridge's address, answers {@code www.lab.example.org}
 * with the guest's DHCP address; after {@code wirt domain withdraw www} it no longer does.
 */
@Tag("e2e")
class HostNameEndToEndTest {
  private static final Duration DEADLINE = Duration.ofSeconds(90);
  private static final String ZONE = "lab.example.org";

  @Test
  void aPublishedNameResolvesInTheNetworksDnsAndGoesWhenWithdrawn() throws Exception {
    try (GuestLab lab = GuestLab.start("hostname", "10.215.",
        "<domain name='" + ZONE + "' localOnly='yes'/>")) {
      String images = lab.imagesJson();
      lab.importTinyImage(lab.writeConfig(images));
      try (WirtdFixture h = new WirtdFixture(Libvirtd.URI, images + """
          , "domains": {"zone": "%s", "network": "%s"},
          """.formatted(ZONE, lab.network()))) {
        aPublishedName(lab, h);
      }
    }
  }

  private static void aPublishedName(GuestLab lab, WirtdFixture h) throws Exception {
    String network = lab.network();
    String prefix = lab.subnetPrefix();
    User alice = h.user();
    h.start();
    lab.domain(alice.name() + "-web");
    h.command(alice, "web", "create", "{\"image\": \"tiny\"}");
    JsonNode created = h.awaitHistory(alice, 1, DEADLINE);
    assertEquals("ok", created.get("result").asText(), created.toString());
    h.touch(alice, "web", "start");
    h.awaitState(alice, "web", "running", DEADLINE);
    String ip = Await.value("a DHCP address in " + prefix + "0/24 in status.json", DEADLINE,
        () -> address(h.status(alice, "web"), prefix), Optional::isPresent).orElseThrow();

    // "www", not the VM's name: dnsmasq also answers <lease hostname>.<zone> from DHCP.
    String bridge = lab.gateway();
    assertEquals(Optional.empty(), resolve(bridge, "www." + ZONE));
    Path dir = h.tree(alice).resolve("command/domain/www");
    h.users.sh(alice, "mkdir -p '" + dir + "' && printf '%s' '{\"vm\": \"web\"}' > '" + dir
        + "/.config.tmp' && mv '" + dir + "/.config.tmp' '" + dir + "/config'");
    JsonNode configured = h.awaitHistory(alice, 3, DEADLINE);
    assertEquals("ok", configured.get("result").asText(), configured.toString());
    h.users.sh(alice, "touch '" + dir + "/start'");
    JsonNode published = h.awaitHistory(alice, 4, DEADLINE);
    assertEquals("published www." + ZONE + " -> " + ip + " (VM 'web', network " + network
        + ")", published.get("message").asText(), published.toString());

    String answer = Await.value("www." + ZONE + " resolved by the network's dnsmasq", DEADLINE,
        () -> resolve(bridge, "www." + ZONE), Optional::isPresent).orElseThrow();
    assertEquals(ip, answer);

    RealUsers.Result list = h.users.run(alice, Programs.command("wirt", "--tree",
        h.tree(alice).toString(), "domain", "list").toArray(String[]::new));
    assertTrue(list.stdout().lines().anyMatch(l -> l.matches("www +www\\." + ZONE.replace(".",
        "\\.") + " +web +" + ip.replace(".", "\\.") + " +published")), list.stdout());

    RealUsers.Result withdraw = h.users.run(alice, Programs.command("wirt", "--tree",
        h.tree(alice).toString(), "domain", "withdraw", "www").toArray(String[]::new));
    assertEquals("withdrew and released www." + ZONE + "\n", withdraw.stdout());
    String after = RealUsers.root("virsh", "-c", Libvirtd.URI, "net-dumpxml", network).stdout();
    assertTrue(!after.contains("www." + ZONE), after);
    String defined = RealUsers.root("virsh", "-c", Libvirtd.URI, "net-dumpxml", "--inactive",
        network).stdout();
    assertTrue(!defined.contains("www." + ZONE), defined);
    Await.until("www." + ZONE + " no longer resolved", DEADLINE, () -> dnsmasqFiles(network, lab.bridge())
        + " answer: " + attempt(() -> resolve(bridge, "www." + ZONE)),
        () -> resolve(bridge, "www." + ZONE).isEmpty());
  }

  /** What dnsmasq was given, for a failure's message. */
  private static String dnsmasqFiles(String network, String bridge) {
    StringBuilder b = new StringBuilder();
    for (String f : List.of("/var/lib/libvirt/dnsmasq/" + network + ".addnhosts",
        "/var/lib/libvirt/dnsmasq/" + bridge + ".status")) {
      b.append(f).append(": ").append(attempt(() -> Files.readString(Path.of(f)))).append("; ");
    }
    return b.toString();
  }

  private interface Probe {
    Object get() throws Exception;
  }

  private static String attempt(Probe p) {
    try {
      return String.valueOf(p.get());
    } catch (Exception e) {
      return e.toString();
    }
  }

  private static Optional<String> address(JsonNode status, String prefix) {
    for (JsonNode a : status.path("addresses")) {
      if (a.path("ip").asText().startsWith(prefix)) {
        return Optional.of(a.path("ip").asText());
      }
    }
    return Optional.empty();
  }

  /** The A record of {@code name} as the DNS server at {@code server} answers, or none. */
  private static Optional<String> resolve(String server, String name) throws NamingException {
    Hashtable<String, String> env = new Hashtable<>();
    env.put(Context.INITIAL_CONTEXT_FACTORY, "com.sun.jndi.dns.DnsContextFactory");
    env.put(Context.PROVIDER_URL, "dns://" + server);
    env.put("com.sun.jndi.dns.timeout.initial", "500");
    env.put("com.sun.jndi.dns.timeout.retries", "2");
    DirContext ctx = new InitialDirContext(env);
    try {
      Attribute a = ctx.getAttributes(name, new String[] {"A"}).get("A");
      return a == null ? Optional.empty() : Optional.of(a.get().toString());
    } catch (NameNotFoundException e) {
      return Optional.empty();
    } finally {
      ctx.close();
    }
  }

}
