package org.wirt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.wirt.hypervisor.Owner;
import org.wirt.testing.Await;
import org.wirt.testing.Libvirtd;
import org.wirt.testing.RealUsers;
import org.wirt.testing.RealUsers.User;
import org.wirt.testing.TestGuest;
import org.wirt.testing.WirtdFixture;
import org.wirt.testing.WirtdProcess;

/**
 * {@code settings.json} as desired state on the real libvirtd and QEMU, written by a real user
 * and served by wirtd as a process of its own: the test guest (no disk, no network) is kept
 * running across a {@code virsh destroy}, a wirtd killed while the VM is destroyed, and libvirtd
 * restarting; a {@code stop} file wins, across a wirtd restart, until the file changes; a setting
 * over quota is refused once, however many sweeps pass.
 */
@Tag("e2e")
class DesiredStateEndToEndTest {
  private static final Duration DEADLINE = Duration.ofSeconds(90);
  private static final String QUOTAS =
      "\"quotas\": {\"default\": {\"vms\": 2, \"vcpus\": 2, \"memoryMiB\": 512, \"diskGiB\": 4}},";
  /** Debug logging, so that the test can count the settings sweeps in wirtd's output. */
  private static final Map<String, String> DEBUG = Map.of("WIRT_LOG_LEVEL", "DEBUG");

  @Test
  void aDesiredRunningVmIsKeptRunningAndAOneOffStopWinsUntilTheFileChanges() throws Exception {
    Libvirtd.connect().close();
    TestGuest.requireBuilt();
    String name = "wirt-settings-" + UUID.randomUUID().toString().substring(0, 8);
    WirtdFixture h = new WirtdFixture(Libvirtd.URI, QUOTAS);
    try {
      User alice = h.user();
      h.hypervisor.define(TestGuest.domainXml(name), new Owner(alice.name(), alice.uid(), "web"));
      WirtdProcess wirtd = h.launch(List.of(), DEBUG);

      h.command(alice, "web", "settings.json", "{\"state\": \"running\"}");
      expectStart(h, alice, 1);
      h.awaitState(alice, "web", "running", DEADLINE);

      // Destroyed from outside: wirtd starts it again, as the file asks.
      RealUsers.root("virsh", "-c", Libvirtd.URI, "destroy", name);
      expectStart(h, alice, 2);
      h.awaitState(alice, "web", "running", DEADLINE);

      // Destroyed while wirtd is dead: the restarted wirtd starts it.
      assertTrue(wirtd.kill());
      RealUsers.root("virsh", "-c", Libvirtd.URI, "destroy", name);
      long ready = readyLines(name);
      wirtd = h.launch(List.of(), DEBUG);
      expectStart(h, alice, 3);
      h.awaitState(alice, "web", "running", DEADLINE);
      // The guest heeds the ACPI button once it has booted.
      Await.until("the guest booted", DEADLINE, () -> readyLines(name) > ready);

      // A one-off stop wins, also over a wirtd restart, until settings.json changes.
      h.touch(alice, "web", "stop");
      JsonNode stop = h.awaitHistory(alice, 4, DEADLINE);
      assertEquals("stop", stop.get("verb").asText(), stop.toString());
      h.awaitState(alice, "web", "shutoff", DEADLINE);
      assertTrue(wirtd.stop());
      wirtd = h.launch(List.of(), DEBUG);
      WirtdProcess restarted = wirtd;
      restarted.await("the first settings sweep", DEADLINE,
          () -> restarted.output().contains("settings sweep done first=true"));
      awaitLooks(restarted, 3);
      assertEquals(4, linesBeforeMarker(h, alice), "not started again after the one-off stop");
      assertEquals("shutoff", h.status(alice, "web").get("state").asText());

      h.command(alice, "web", "settings.json", "{\"state\": \"running\", \"autostart\": false}");
      int n = h.history(alice).size();
      expectStart(h, alice, n + 1);
      h.awaitState(alice, "web", "running", DEADLINE);

      // Over quota: one refusal, whatever the number of sweeps.
      h.command(alice, "web", "settings.json", "{\"state\": \"running\", \"vcpus\": 8}");
      JsonNode refused = h.awaitHistory(alice, n + 2, DEADLINE);
      assertEquals("config", refused.get("verb").asText(), refused.toString());
      assertEquals("rejected", refused.get("result").asText(), refused.toString());
      assertTrue(refused.get("message").asText().startsWith(
          "command/vm/web/settings.json: quota exceeded"), refused.toString());
      awaitLooks(restarted, 3);
      assertEquals(n + 2, linesBeforeMarker(h, alice), "the refusal is recorded once");
      assertEquals("running", h.status(alice, "web").get("state").asText());
      assertEquals("{\"state\": \"running\", \"vcpus\": 8}", Files.readString(
          h.tree(alice).resolve("command/vm/web/settings.json")), "the user's file stays");
    } finally {
      // wirtd first: a wirtd still running would start the destroyed VM again, as the file asks.
      h.close();
      RealUsers.attemptAsRoot("virsh", "-c", Libvirtd.URI, "destroy", name);
      RealUsers.attemptAsRoot("virsh", "-c", Libvirtd.URI, "undefine", name);
      Files.deleteIfExists(TestGuest.serialLog(name));
    }
  }

  /**
   * libvirtd restarting, with the VM's QEMU gone meanwhile (as after a host crash): once wirtd is
   * connected again, it starts the VM. This stops and starts the machine's libvirtd as
   * ConsoleStreamE2ETest does: run it only under {@code flock /run/wirt-make-test.lock}.
   */
  @Test
  void aDesiredRunningVmIsStartedAgainOnceLibvirtdIsBack() throws Exception {
    Libvirtd.connect().close();
    TestGuest.requireBuilt();
    String name = "wirt-settings-" + UUID.randomUUID().toString().substring(0, 8);
    WirtdFixture h = new WirtdFixture(Libvirtd.URI, QUOTAS);
    try {
      User alice = h.user();
      h.hypervisor.define(TestGuest.domainXml(name), new Owner(alice.name(), alice.uid(), "web"));
      h.launch(List.of(), DEBUG);
      h.command(alice, "web", "settings.json", "{\"state\": \"running\"}");
      expectStart(h, alice, 1);
      h.awaitState(alice, "web", "running", DEADLINE);
      String pid = Files.readString(Path.of("/run/libvirt/qemu/" + name + ".pid")).strip();

      RealUsers.root("pkill", "-TERM", "-x", "libvirtd");
      try {
        Await.until("libvirtd gone", DEADLINE,
            () -> RealUsers.attemptAsRoot("pgrep", "-x", "libvirtd").code() != 0);
        // The guest dies while nobody watches: libvirtd finds it shut off when it is back.
        RealUsers.root("kill", "-KILL", pid);
      } finally {
        RealUsers.root("libvirtd", "-d");
      }
      expectStart(h, alice, 2);
      h.awaitState(alice, "web", "running", DEADLINE);
    } finally {
      // wirtd first: a wirtd still running would start the destroyed VM again, as the file asks.
      h.close();
      RealUsers.attemptAsRoot("virsh", "-c", Libvirtd.URI, "destroy", name);
      RealUsers.attemptAsRoot("virsh", "-c", Libvirtd.URI, "undefine", name);
      Files.deleteIfExists(TestGuest.serialLog(name));
    }
  }

  /** Waits for the n-th history line and checks it is a start that settings.json made. */
  private static void expectStart(WirtdFixture h, User alice, int n) throws Exception {
    JsonNode line = h.awaitHistory(alice, n, DEADLINE);
    assertEquals("start", line.get("verb").asText(), line.toString());
    assertEquals("ok", line.get("result").asText(), line.toString());
    assertTrue(line.get("message").asText().startsWith("command/vm/web/settings.json: started"),
        line.toString());
  }

  private static long readyLines(String name) throws java.io.IOException {
    Path log = TestGuest.serialLog(name);
    return !Files.exists(log) ? 0 : RealUsers.root("cat", log.toString()).stdout().lines()
        .filter(l -> l.contains(TestGuest.READY)).count();
  }

  /**
   * Waits until wirtd's output tells of {@code more} looks at the VM's settings.json than it does
   * now (each periodic sweep that finds the file makes one).
   */
  private static void awaitLooks(WirtdProcess wirtd, int more) throws Exception {
    long before = looks(wirtd);
    wirtd.await(more + " more looks at settings.json", DEADLINE,
        () -> looks(wirtd) >= before + more);
  }

  private static long looks(WirtdProcess wirtd) {
    return wirtd.output().lines().filter(l -> l.contains("settings.json looked at")).count();
  }

  /**
   * Writes a {@code status} file and waits for its record: a command wirtd queued for the VM
   * before is served before it. Returns how many history lines precede it.
   */
  private static int linesBeforeMarker(WirtdFixture h, User alice) throws Exception {
    int before = h.history(alice).size();
    h.touch(alice, "web", "status");
    List<JsonNode> lines = Await.value("the status line", DEADLINE, () -> h.history(alice),
        l -> l.stream().skip(before).anyMatch(x -> x.path("verb").asText().equals("status")));
    int i = lines.size() - 1;
    while (!lines.get(i).path("verb").asText().equals("status")) {
      i--;
    }
    return i;
  }
}
