package org.wirt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.wirt.cli.ExitCode;
import org.wirt.testing.Await;
import org.wirt.testing.GuestLab;
import org.wirt.testing.Libvirtd;
import org.wirt.testing.Programs;
import org.wirt.testing.RealUsers;
import org.wirt.testing.RealUsers.User;
import org.wirt.testing.TestGuest;
import org.wirt.testing.WirtdFixture;

/**
 * Reaching a VM, as a real user on the real libvirtd and QEMU: {@code wirt create} on the test
 * guest's image gives the VM a serial console with a log, a guest-agent channel and a card on an
 * isolated network this test defines (no {@code <forward>}, a private range of its own, so
 * nothing leaves this machine); {@code wirt console} shows the boot and runs a command in the
 * guest's shell; nobody else gets in; the console log lands in the owner's tree; the guest's
 * DHCP address shows in {@code status.json} and {@code wirt list}.
 */
@Tag("e2e")
class ConsoleEndToEndTest {
  /** How long the guest may take to boot, print or get its lease under QEMU's emulation. */
  private static final Duration DEADLINE = Duration.ofSeconds(90);

  @Test
  void consoleBootLogAndAddressOfACreatedVm() throws Exception {
    try (GuestLab lab = GuestLab.start("cons", "10.213.", "")) {
      Path base = lab.base();
      String network = lab.network();
      String prefix = lab.subnetPrefix();
      String settings = lab.imagesJson() + """
          , "console": {"runDir": "%s", "logDir": "%s", "addressPollSeconds": 1}
          """.formatted(base.resolve("run"), base.resolve("console"));
      Path config = lab.writeConfig(settings);
      lab.importTinyImage(config);
      try (WirtdFixture h = new WirtdFixture(Libvirtd.URI, settings + ", \"quotas\": "
          + "{\"default\": {\"vms\": 2, \"vcpus\": 2, \"memoryMiB\": 256, \"diskGiB\": 4}},")) {
        Process console = null;
        try {
          User alice = h.user();
          User bob = h.user();
          h.start();
          String domain = lab.domain(alice.name() + "-web");
          h.command(alice, "web", "create", "{\"image\": \"tiny\"}");
          JsonNode created = h.awaitHistory(alice, 1, DEADLINE);
          assertEquals("ok", created.get("result").asText(), created.toString());
          String xml = RealUsers.root("virsh", "-c", Libvirtd.URI, "dumpxml", domain).stdout();
          assertTrue(xml.contains("<log file='" + base.resolve("console").resolve(domain + ".log")
              + "' append='on'/>"), xml);
          assertTrue(xml.contains("name='org.qemu.guest_agent.0'"), xml);
          assertTrue(xml.contains("<source network='" + network + "'"), xml);
          h.touch(alice, "web", "start");
          h.awaitState(alice, "web", "running", DEADLINE);

          Path aliceSocket = base.resolve("run").resolve(alice.name()).resolve("console.sock");
          Await.until("alice's console socket", () -> Files.exists(aliceSocket));
          console = startAs(alice, config, "console", "web");
          Output seen = new Output(console.getInputStream());
          Output said = new Output(console.getErrorStream());
          said.await("wirt console: connected to " + domain);
          // The boot through the console: a reset shows every line of it on the live stream.
          h.touch(alice, "web", "reset");
          seen.await(TestGuest.READY);
          seen.await("wirt-test-guest: shell on ttyS0");
          OutputStream keys = console.getOutputStream();
          keys.write("echo wirt-$((6*7))\n".getBytes(StandardCharsets.US_ASCII));
          keys.flush();
          seen.await("wirt-42");

          // A second session of alice's is refused, and takes over with --force.
          RealUsers.Exit twice = h.users.attempt(alice,
              Programs.command("wirt", "--config", config.toString(), "console", "web")
                  .toArray(String[]::new));
          assertEquals(ExitCode.REFUSED.code(), twice.code(), twice.stderr());
          assertTrue(twice.stderr().contains("VM 'web' already has a console open"),
              twice.stderr());

          // Bob: his own socket knows no VM 'web' of his; alice's is out of his reach.
          RealUsers.Exit bobs = h.users.attempt(bob,
              Programs.command("wirt", "--config", config.toString(), "console", "web")
                  .toArray(String[]::new));
          assertEquals(ExitCode.REFUSED.code(), bobs.code(), bobs.stderr());
          assertTrue(bobs.stderr().contains("you have no VM 'web'"), bobs.stderr());
          RealUsers.Exit intoAlices = h.users.attempt(bob, "python3", "-c",
              "import socket; socket.socket(socket.AF_UNIX).connect('" + aliceSocket + "')");
          assertTrue(intoAlices.stderr().contains("PermissionError"), intoAlices.stderr());
          // Root passes the directory's permissions, but not wirtd's SO_PEERCRED check.
          try (SocketChannel root = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            root.connect(UnixDomainSocketAddress.of(aliceSocket));
            root.write(ByteBuffer.wrap("console web\n".getBytes(StandardCharsets.US_ASCII)));
            String answer = new String(readAll(root), StandardCharsets.UTF_8);
            assertEquals("refused user root connected to the console socket of " + alice.name()
                + "; only " + alice.name() + " may use it\n", answer);
          }

          keys.write(0x1d);
          keys.flush();
          assertTrue(console.waitFor(30, TimeUnit.SECONDS), "wirt console did not end on Ctrl-]");
          assertEquals(0, console.exitValue(), said.text());
          assertTrue(said.text().contains("detached from web"), said.text());

          Path copy = h.tree(alice).resolve("logs/vm/web.console.log");
          Await.until("the console log in alice's tree", DEADLINE,
              () -> Files.readString(copy, StandardCharsets.ISO_8859_1).contains(TestGuest.READY));
          assertEquals(String.valueOf(alice.uid()),
              RealUsers.root("stat", "-c", "%u", copy.toString()).stdout().strip());
          RealUsers.Result tail = h.users.run(alice, Programs.command("wirt", "--config",
              config.toString(), "console", "web", "--log").toArray(String[]::new));
          assertTrue(tail.stdout().contains(TestGuest.READY), tail.stdout());

          Await.until("a DHCP address in " + prefix + "0/24 in status.json", DEADLINE, () -> {
            for (JsonNode a : h.status(alice, "web").path("addresses")) {
              if (a.path("ip").asText().startsWith(prefix)) {
                return true;
              }
            }
            return false;
          });
          String ip = h.status(alice, "web").path("addresses").get(0).path("ip").asText();
          RealUsers.Result list = h.users.run(alice, Programs.command("wirt", "--config",
              config.toString(), "list").toArray(String[]::new));
          assertTrue(list.stdout().contains(ip), list.stdout());

          List<String> events = new ArrayList<>();
          for (JsonNode line : h.audit()) {
            if (line.path("user").asText().equals(alice.name()) && line.has("event")) {
              events.add(line.get("event").asText());
            }
          }
          assertTrue(events.containsAll(List.of("console-opened", "console-refused",
              "console-closed")), events.toString());
        } finally {
          if (console != null) {
            console.destroyForcibly();
          }
        }
      }
    }
  }

  private static Process startAs(User user, Path config, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of("runuser", "-u", user.name(), "--"));
    List<String> wirt = new ArrayList<>(List.of("--config", config.toString()));
    wirt.addAll(List.of(args));
    command.addAll(Programs.command("wirt", wirt.toArray(String[]::new)));
    return new ProcessBuilder(command).start();
  }

  private static byte[] readAll(SocketChannel channel) throws IOException {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    ByteBuffer b = ByteBuffer.allocate(512);
    while (channel.read(b.clear()) > 0) {
      all.write(b.array(), 0, b.position());
    }
    return all.toByteArray();
  }

  /** What a process wrote on one of its streams, collected on a thread of its own. */
  private static final class Output {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    Output(InputStream in) {
      Thread t = new Thread(() -> {
        byte[] buffer = new byte[4096];
        try {
          for (int n; (n = in.read(buffer)) > 0; ) {
            synchronized (bytes) {
              bytes.write(buffer, 0, n);
            }
          }
        } catch (IOException e) {
          // the process ended
        }
      });
      t.setDaemon(true);
      t.start();
    }

    String text() {
      synchronized (bytes) {
        return bytes.toString(StandardCharsets.ISO_8859_1);
      }
    }

    void await(String text) throws InterruptedException {
      Await.until("'" + text + "' on the console", DEADLINE, () -> "it said: " + text(),
          () -> text().contains(text));
    }
  }
}
