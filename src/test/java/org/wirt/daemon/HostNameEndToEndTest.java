package org.wirt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import javax.naming.Context;
import javax.naming.NameNotFoundException;
import javax.naming.NamingException;
import javax.naming.directory.Attribute;
import javax.naming.directory.DirContext;
import javax.naming.directory.InitialDirContext;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.wirt.cli.ExitCode;
import org.wirt.posix.Nss;
import org.wirt.testing.Await;
import org.wirt.testing.Libvirtd;
import org.wirt.testing.Programs;
import org.wirt.testing.RealUsers;
import org.wirt.testing.RealUsers.User;
import org.wirt.testing.TestGuest;
import org.wirt.testing.WirtdFixture;
import org.wirt.wirtctl.Caller;
import org.wirt.wirtctl.WirtctlCommand;

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
    Libvirtd.connect().close();
    String id = UUID.randomUUID().toString().substring(0, 8);
    Path base = Path.of("/var/lib/wirt-test/hostname-" + id);
    String imagesPool = "wirt-test-images-" + id;
    String vmsPool = "wirt-test-vms-" + id;
    String network = "wirt-test-net-" + id;
    String prefix = "10.2" + ThreadLocalRandom.current().nextInt(20, 50) + "."
        + ThreadLocalRandom.current().nextInt(1, 255) + ".";
    List<String> domains = new ArrayList<>();
    Files.createDirectories(base);
    Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path netXml = base.resolve("net.xml");
    Files.writeString(netXml, """
        <network>
          <name>%s</name>
          <bridge name='wh%s' stp='off'/>
          <domain name='%s' localOnly='yes'/>
          <ip address='%s1' netmask='255.255.255.0'>
            <dhcp><range start='%s10' end='%s99'/></dhcp>
          </ip>
        </network>
        """.formatted(network, id, ZONE, prefix, prefix, prefix));
    String images = """
        "images": {"pool": "%s", "directory": "%s", "vmPool": "%s", "vmDirectory": "%s",
                   "domainType": "qemu", "networks": ["%s"]}
        """.formatted(imagesPool, base.resolve("images"), vmsPool, base.resolve("vms"), network);
    Path config = base.resolve("wirt.json");
    Files.writeString(config, "{\"libvirtUri\": \"" + Libvirtd.URI + "\", " + images + "}");
    Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-r--r--"));
    WirtdFixture h = new WirtdFixture(Libvirtd.URI, images + """
        , "domains": {"zone": "%s", "network": "%s"},
        """.formatted(ZONE, network));
    try {
      RealUsers.root("virsh", "-c", Libvirtd.URI, "net-define", netXml.toString());
      RealUsers.root("virsh", "-c", Libvirtd.URI, "net-start", network);
      String net = RealUsers.root("virsh", "-c", Libvirtd.URI, "net-dumpxml", network).stdout();
      assertTrue(!net.contains("<forward"), "the test network must be isolated: " + net);
      importTinyImage(base, config);

      User alice = h.user();
      h.start();
      domains.add(alice.name() + "-web");
      h.command(alice, "web", "create", "{\"image\": \"tiny\"}");
      JsonNode created = h.awaitHistory(alice, 1, DEADLINE);
      assertEquals("ok", created.get("result").asText(), created.toString());
      h.touch(alice, "web", "start");
      h.awaitState(alice, "web", "running", DEADLINE);
      String ip = Await.value("a DHCP address in " + prefix + "0/24 in status.json", DEADLINE,
          () -> address(h.status(alice, "web"), prefix), Optional::isPresent).orElseThrow();

      // "www", not the VM's name: dnsmasq also answers <lease hostname>.<zone> from DHCP.
      String bridge = prefix + "1";
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
      Await.until("www." + ZONE + " no longer resolved", DEADLINE, () -> dnsmasqFiles(network, id)
          + " answer: " + attempt(() -> resolve(bridge, "www." + ZONE)),
          () -> resolve(bridge, "www." + ZONE).isEmpty());
    } finally {
      try {
        h.close();
      } finally {
        for (String d : domains) {
          RealUsers.attemptAsRoot("virsh", "-c", Libvirtd.URI, "destroy", d);
          RealUsers.attemptAsRoot("virsh", "-c", Libvirtd.URI, "undefine", "--nvram", d);
        }
        RealUsers.attemptAsRoot("virsh", "-c", Libvirtd.URI, "net-destroy", network);
        RealUsers.attemptAsRoot("virsh", "-c", Libvirtd.URI, "net-undefine", network);
        for (String pool : List.of(imagesPool, vmsPool)) {
          RealUsers.attemptAsRoot("virsh", "-c", Libvirtd.URI, "pool-destroy", pool);
          RealUsers.attemptAsRoot("virsh", "-c", Libvirtd.URI, "pool-undefine", pool);
        }
        RealUsers.root("rm", "-rf", base.toString());
      }
    }
  }

  /** What dnsmasq was given, for a failure's message. */
  private static String dnsmasqFiles(String network, String id) {
    StringBuilder b = new StringBuilder();
    for (String f : List.of("/var/lib/libvirt/dnsmasq/" + network + ".addnhosts",
        "/var/lib/libvirt/dnsmasq/wh" + id + ".status")) {
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

  private static void importTinyImage(Path base, Path config) throws IOException {
    Path source = base.resolve("tiny.qcow2");
    RealUsers.root("qemu-img", "create", "-q", "-f", "qcow2", source.toString(), "64M");
    Path description = base.resolve("tiny.json");
    Files.writeString(description, """
        {"vcpus": 1, "memoryMiB": 128, "diskGiB": 1, "osVariant": "linux", "cloudInit": false,
         "kernel": "%s", "initrd": "%s", "cmdline": "console=ttyS0 quiet"}
        """.formatted(TestGuest.kernel(), TestGuest.initrd()));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    ExitCode code = WirtctlCommand.run(Caller.root(Nss.system()), new PrintWriter(out, true),
        new PrintWriter(err, true), "--config", config.toString(), "image", "import", "tiny",
        source.toString(), "--description", description.toString());
    assertEquals(ExitCode.OK, code, out + " " + err);
  }
}
