package org.wirt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.testing.Await;
import org.wirt.testing.RealUsers.User;
import org.wirt.testing.WirtdFixture;

/** The whole daemon on libvirt's test driver, serving real users who write real files. */
@Tag("root")
class DaemonTest {
  private WirtdFixture h;
  private User alice;
  private User bob;
  private ManagedDomain aliceWeb;

  @BeforeEach
  void start() throws Exception {
    h = new WirtdFixture();
    alice = h.user();
    bob = h.user();
    aliceWeb = h.domain(alice.name() + "-web", alice, "web");
    h.domain(alice.name() + "-db", alice, "db");
    h.domain(bob.name() + "-web", bob, "web");
    h.start();
  }

  @AfterEach
  void stop() throws Exception {
    h.close();
  }

  @Test
  void keepsTheSkeletonAndAStatusForEveryOwnedVm() throws Exception {
    Path tree = h.tree(alice);
    for (String dir : List.of("command/vm/web", "command/vm/db", "info/vm/web", "logs", "rejected")) {
      assertTrue(Files.isDirectory(tree.resolve(dir)), dir);
      assertEquals(alice.uid(), (int) Files.getAttribute(tree.resolve(dir), "unix:uid"), dir);
    }
    JsonNode status = h.status(alice, "web");
    assertEquals("web", status.get("vm").asText());
    assertEquals(alice.name() + "-web", status.get("domain").asText());
    assertEquals(aliceWeb.uuid().toString(), status.get("uuid").asText());
    assertEquals("shutoff", status.get("state").asText());
    assertFalse(Files.exists(h.tree(alice).resolve("command/vm/" + bob.name() + "-web")));
  }

  @Test
  void aTaggedStartBootsTheVmAndIsRecordedEverywhere() throws Exception {
    h.touch(alice, "web", "start.t1");
    JsonNode line = h.awaitHistory(alice, 1);
    assertEquals("ok", line.get("result").asText(), line.toString());
    assertEquals("start", line.get("verb").asText());
    assertEquals("t1", line.get("tag").asText());
    assertEquals(alice.name(), line.get("user").asText());
    assertEquals("web", line.get("vm").asText());
    assertEquals(alice.name() + "-web", line.get("domain").asText());
    assertEquals("started " + alice.name() + "-web", line.get("message").asText());
    assertTrue(line.get("durationMs").asLong() >= 0);

    h.awaitState(alice, "web", "running");
    assertFalse(Files.exists(h.tree(alice).resolve("command/vm/web/start.t1")), "the file is consumed");
    Await.until("status.json names the command", () -> {
      try {
        return "t1".equals(h.status(alice, "web").path("lastCommand").path("tag").asText());
      } catch (java.io.IOException e) {
        return false;
      }
    });
    assertEquals("start", h.status(alice, "web").get("lastCommand").get("verb").asText());
    // The tagged result is the last record written.
    Await.until("results/t1.json", () -> Files.exists(h.tree(alice).resolve("info/vm/web/results/t1.json")));
    JsonNode tagged = new com.fasterxml.jackson.databind.ObjectMapper()
        .readTree(h.tree(alice).resolve("info/vm/web/results/t1.json").toFile());
    assertEquals("ok", tagged.get("result").asText());
    String vmLog = Files.readString(h.tree(alice).resolve("logs/vm/web.log"));
    assertTrue(vmLog.contains("start.t1 ok"), vmLog);
    assertTrue(h.audit().stream().anyMatch(a -> a.get("user").asText().equals(alice.name())
        && a.get("verb").asText().equals("start") && a.get("result").asText().equals("ok")));
    assertEquals(alice.uid(), (int) Files.getAttribute(h.tree(alice).resolve("logs/history.log"), "unix:uid"));
  }

  @Test
  void everyPowerVerbDoesWhatItSays() throws Exception {
    String[][] steps = {
        {"start", "running"}, {"suspend", "paused"}, {"resume", "running"}, {"reboot", "running"},
        {"reset", "running"}, {"stop", "shutoff"}, {"start", "running"}, {"destroy", "shutoff"}};
    int n = 0;
    for (String[] step : steps) {
      h.touch(alice, "web", step[0]);
      JsonNode line = h.awaitHistory(alice, ++n);
      assertEquals("ok", line.get("result").asText(), line.toString());
      assertEquals(step[0], line.get("verb").asText());
      h.awaitState(alice, "web", step[1]);
    }
    h.touch(alice, "web", "autostart");
    h.awaitHistory(alice, ++n);
    Await.until("autostart on", () -> statusField("autostart").equals("true"));
    h.command(alice, "web", "autostart", "--disable");
    h.awaitHistory(alice, ++n);
    Await.until("autostart off", () -> statusField("autostart").equals("false"));
  }

  private String statusField(String field) {
    try {
      return h.status(alice, "web").path(field).asText();
    } catch (java.io.IOException e) {
      return "";
    }
  }

  @Test
  void idempotentVerbsSucceedAndImpossibleOnesFailWithAReason() throws Exception {
    h.touch(alice, "web", "destroy");
    assertEquals(alice.name() + "-web is already off", h.awaitHistory(alice, 1).get("message").asText());
    h.touch(alice, "web", "reboot");
    JsonNode failed = h.awaitHistory(alice, 2);
    assertEquals("failed", failed.get("result").asText());
    assertEquals("reboot " + alice.name() + "-web: it is shutoff, not running; write 'start' to boot it",
        failed.get("message").asText());
    Await.until("the failure notified", () -> !h.notified.isEmpty());
    assertEquals(List.of(alice.name() + "/web reboot failed"), h.notified, "only the failure is notified");
  }

  @Test
  void commandsOfOneVmRunOldestFirst() throws Exception {
    // Staged in a hidden directory and renamed into place at once, so that wirtd sees all of them
    // together and must order them by modification time, not by arrival or name.
    Path staging = h.tree(alice).resolve("command/vm/.staging");
    h.users.sh(alice, "mkdir '" + staging + "' && cd '" + staging + "'"
        + " && touch -d '2020-01-01 00:00:01' start.first"
        + " && touch -d '2020-01-01 00:00:02' suspend.second"
        + " && touch -d '2020-01-01 00:00:03' destroy.third"
        + " && touch -d '2020-01-01 00:00:03' autostart.fourth"
        + " && touch -d '2099-01-01 00:00:00' status.fifth"
        + " && cd .. && rm -rf web && mv -T .staging web");
    for (int i = 1; i <= 5; i++) {
      h.awaitHistory(alice, i);
    }
    List<String> tags = h.history(alice).stream().map(l -> l.get("tag").asText()).toList();
    assertEquals(List.of("first", "second", "fourth", "third", "fifth"), tags,
        "by time, then name (autostart < destroy); the future counts as now");
  }

  @Test
  void aStateChangeNoCommandCausedReachesStatusJson() throws Exception {
    h.touch(alice, "web", "start");
    h.awaitState(alice, "web", "running");
    h.hypervisor.destroy(aliceWeb.uuid());
    h.awaitState(alice, "web", "shutoff");
    Await.until("the event in the VM log", () -> {
      try {
        return Files.readString(h.tree(alice).resolve("logs/vm/web.log"))
            .contains("libvirt: stopped (destroyed)");
      } catch (java.io.IOException e) {
        return false;
      }
    });
  }

  @Test
  void usersAreIndependent() throws Exception {
    h.touch(alice, "web", "start");
    h.touch(bob, "web", "start");
    h.awaitState(alice, "web", "running");
    h.awaitState(bob, "web", "running");
    // A lifecycle event may update status.json before the worker writes the history line.
    assertEquals("ok", h.awaitHistory(bob, 1).get("result").asText());
    assertEquals(1, h.history(bob).size());
    assertEquals("shutoff", h.status(alice, "db").get("state").asText());
  }

  @Test
  void writesInProgressAreLeftAlone() throws Exception {
    Path dir = h.tree(alice).resolve("command/vm/web");
    h.users.sh(alice, "touch '" + dir + "/.start' '" + dir + "/start~' '" + dir + "/start.tmp' '"
        + dir + "/start.swp'");
    h.touch(alice, "web", "status");
    h.awaitHistory(alice, 1);
    h.daemon().sweepNow();
    assertEquals(1, h.history(alice).size());
    for (String name : List.of(".start", "start~", "start.tmp", "start.swp")) {
      assertTrue(Files.exists(dir.resolve(name)), name);
    }
  }
}
