package org.wirt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.testing.Await;
import org.wirt.testing.RealUsers.User;
import org.wirt.testing.WirtdFixture;

/**
 * {@code command/vm/<vm>/settings.json} as desired state, through the whole daemon on libvirt's
 * test driver, written by real users: wirtd brings the VM there through the same path as a
 * command file, once, and leaves the file where it is.
 */
@Tag("root")
class DesiredStateTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private WirtdFixture h;
  private User alice;
  private ManagedDomain web;

  @BeforeEach
  void start() throws Exception {
    h = new WirtdFixture("test:///default",
        "\"quotas\": {\"default\": {\"vms\": 3, \"vcpus\": 2, \"memoryMiB\": 1024, \"diskGiB\": 3}},");
    alice = h.user();
    web = h.domain(alice.name() + "-web", alice, "web");
    h.start();
  }

  @AfterEach
  void stop() throws Exception {
    h.close();
  }

  private void settings(String content) throws IOException {
    h.command(alice, "web", "settings.json", content);
  }

  private Path settingsFile() {
    return h.tree(alice).resolve("command/vm/web/settings.json");
  }

  private JsonNode info() throws IOException {
    return JSON.readTree(h.tree(alice).resolve("info/vm/web/settings.json").toFile());
  }

  private JsonNode awaitInfo(String what, Predicate<JsonNode> ok) throws Exception {
    return Await.value(what, Await.DEFAULT_TIMEOUT, () -> {
      try {
        return info();
      } catch (IOException e) {
        return JSON.createObjectNode();
      }
    }, ok);
  }

  /**
   * Sweeps (both the daemon's and the settings' sweep) several times, then writes a {@code status}
   * file and waits for its record: a command the sweeps queued for the VM is served before it, so
   * every record they caused is written by then.
   *
   * @return the user's history lines before the status line
   */
  private List<JsonNode> afterSweeps() throws Exception {
    for (int i = 0; i < 3; i++) {
      h.daemon().sweepNow();
      h.daemon().settingsSweepNow();
    }
    int before = h.history(alice).size();
    h.touch(alice, "web", "status");
    Await.value("the status line", Await.DEFAULT_TIMEOUT, () -> h.history(alice),
        lines -> lines.stream().skip(before).anyMatch(l -> l.path("verb").asText().equals("status")));
    List<JsonNode> lines = h.history(alice);
    int status = lines.size() - 1;
    while (!lines.get(status).path("verb").asText().equals("status")) {
      status--;
    }
    return lines.subList(0, status);
  }

  @Test
  void aDesiredRunningVmIsStartedAndStartedAgainAfterItIsDestroyed() throws Exception {
    settings("{\"state\": \"running\"}");
    JsonNode start = h.awaitHistory(alice, 1);
    assertEquals("start", start.get("verb").asText(), start.toString());
    assertEquals("ok", start.get("result").asText(), start.toString());
    assertEquals("command/vm/web/settings.json: started " + web.name(),
        start.get("message").asText());
    h.awaitState(alice, "web", "running");
    assertTrue(h.audit().stream().anyMatch(a -> a.get("verb").asText().equals("start")
        && a.get("message").asText().startsWith("command/vm/web/settings.json:")));
    assertTrue(Files.readString(h.tree(alice).resolve("logs/vm/web.log"))
        .contains("start ok"));

    JsonNode shown = awaitInfo("info shows the desired state", j ->
        j.path("effective").path("state").asText().equals("running")
            && j.path("desired").path("pending").isArray()
            && j.path("desired").path("pending").isEmpty());
    assertEquals("running", shown.at("/desired/settings/state").asText(), shown.toString());
    assertTrue(shown.at("/desired/problem").isNull(), shown.toString());
    // The fields that were there before stay.
    assertEquals(1, shown.get("vcpus").asInt());
    assertTrue(shown.get("pending").isNull(), shown.toString());

    h.hypervisor.destroy(web.uuid());
    JsonNode again = h.awaitHistory(alice, 2);
    assertEquals("start", again.get("verb").asText(), again.toString());
    assertEquals("ok", again.get("result").asText(), again.toString());
    h.awaitState(alice, "web", "running");

    // Matching: nothing more is done, however often it is looked at.
    assertEquals(2, afterSweeps().size());
    assertTrue(Files.exists(settingsFile()), "the user's file stays");
    assertEquals("{\"state\": \"running\"}", Files.readString(settingsFile()));
    try (var rejected = Files.list(h.tree(alice).resolve("rejected"))) {
      assertEquals(0, rejected.count());
    }
  }

  @Test
  void aOneOffStopWinsUntilTheSettingsChange() throws Exception {
    settings("{\"state\": \"running\"}");
    h.awaitHistory(alice, 1);
    h.awaitState(alice, "web", "running");
    h.touch(alice, "web", "stop");
    JsonNode stop = h.awaitHistory(alice, 2);
    assertEquals("stop", stop.get("verb").asText(), stop.toString());
    h.awaitState(alice, "web", "shutoff");

    assertEquals(2, afterSweeps().size(), "not started again");
    assertEquals("shutoff", h.status(alice, "web").get("state").asText());
    JsonNode shown = awaitInfo("the override is shown", j -> j.at("/desired/pending").toString()
        .contains("overridden by the one-off 'stop' until settings.json changes"));
    assertEquals("shutoff", shown.at("/effective/state").asText());
    // Kept where a restarted wirtd finds it.
    Path kept = h.stateDir.resolve("settings/" + alice.uid() + "/web.json");
    assertTrue(Files.readString(kept).contains("\"state\" : \"stop\""), Files.readString(kept));

    settings("{\"state\": \"running\", \"autostart\": false}");
    JsonNode start = Await.value("started again", Await.DEFAULT_TIMEOUT, () -> h.history(alice),
        lines -> lines.size() > 3 && lines.get(lines.size() - 1).get("verb").asText()
            .equals("start")).get(h.history(alice).size() - 1);
    assertEquals("ok", start.get("result").asText(), start.toString());
    h.awaitState(alice, "web", "running");
  }

  @Test
  void anOverQuotaSettingIsRefusedOnceAcrossSweeps() throws Exception {
    settings("{\"vcpus\": 8}");
    JsonNode refused = h.awaitHistory(alice, 1);
    assertEquals("config", refused.get("verb").asText(), refused.toString());
    assertEquals("rejected", refused.get("result").asText(), refused.toString());
    String message = refused.get("message").asText();
    assertTrue(message.startsWith("command/vm/web/settings.json: quota exceeded"), message);

    assertEquals(1, afterSweeps().size(), "one refusal, whatever the number of sweeps");
    assertEquals(List.of(alice.name() + "/web config rejected"), h.notified.stream()
        .filter(n -> n.contains("config")).toList());
    JsonNode shown = awaitInfo("the refusal is shown", j -> j.at("/desired/pending").toString()
        .contains("refused: quota exceeded"));
    assertEquals(1, shown.at("/effective/nextBootVcpus").asInt(), shown.toString());
    assertTrue(Files.exists(settingsFile()));

    settings("{\"vcpus\": 2}");
    JsonNode config = Await.value("configured", Await.DEFAULT_TIMEOUT, () -> h.history(alice),
        lines -> lines.stream().anyMatch(l -> l.get("verb").asText().equals("config")
            && l.get("result").asText().equals("ok"))).stream()
        .filter(l -> l.get("verb").asText().equals("config")
            && l.get("result").asText().equals("ok")).findFirst().orElseThrow();
    assertTrue(config.get("message").asText().startsWith("command/vm/web/settings.json: "),
        config.toString());
    awaitInfo("2 vCPUs at the next boot", j -> j.at("/effective/nextBootVcpus").asInt() == 2);
  }

  @Test
  void aDesiredShutoffStopsARunningVm() throws Exception {
    h.touch(alice, "web", "start");
    h.awaitHistory(alice, 1);
    h.awaitState(alice, "web", "running");
    settings("{\"state\": \"shutoff\"}");
    JsonNode stop = h.awaitHistory(alice, 2);
    assertEquals("stop", stop.get("verb").asText(), stop.toString());
    assertEquals("ok", stop.get("result").asText(), stop.toString());
    assertTrue(stop.get("message").asText().startsWith("command/vm/web/settings.json: "));
    h.awaitState(alice, "web", "shutoff");
  }

  @Test
  void anInvalidFileIsReportedOnceAndLeftInPlace() throws Exception {
    settings("{\"vcpus\": 0, \"state\": \"running\"}");
    JsonNode shown = awaitInfo("the problem is shown", j -> j.at("/desired/problem").isTextual());
    String problem = shown.at("/desired/problem").asText();
    assertTrue(problem.startsWith("command/vm/web/settings.json: \"vcpus\" is '0', not a whole "
        + "number from 1 to 256; settings.json holds a JSON object with any of"), problem);
    assertTrue(problem.endsWith("it is left in place and not applied"), problem);

    assertEquals(0, afterSweeps().size(), "nothing is done");
    assertEquals(1, vmLogLines(problem), "reported once");
    assertEquals("shutoff", h.status(alice, "web").get("state").asText());
    assertTrue(Files.exists(settingsFile()));
    try (var rejected = Files.list(h.tree(alice).resolve("rejected"))) {
      assertEquals(0, rejected.count());
    }

    settings("{\"colour\": \"red\"}");
    awaitInfo("the new problem is shown", j -> j.at("/desired/problem").asText()
        .contains("unknown key 'colour'"));
  }

  @Test
  void aLinkFifoHardLinkOrLargeFileIsRefusedAndLeftInPlace() throws Exception {
    Path file = settingsFile();
    Path secret = Files.writeString(h.dir().resolve("secret.json"), "{\"state\": \"running\"}");
    h.users.sh(alice, "ln -s '" + secret + "' '" + file + "'");
    JsonNode shown = awaitInfo("the link is refused", j -> j.at("/desired/problem").isTextual());
    assertTrue(shown.at("/desired/problem").asText().contains("symbolic link"), shown.toString());
    assertEquals(0, afterSweeps().size());
    assertTrue(Files.isSymbolicLink(file), "left in place");

    h.users.sh(alice, "rm '" + file + "' && mkfifo '" + file + "'");
    shown = awaitInfo("the FIFO is refused", j -> j.at("/desired/problem").asText().contains("FIFO")
        || j.at("/desired/problem").asText().contains("pipe"));
    assertTrue(Files.exists(file, LinkOption.NOFOLLOW_LINKS));

    Path other = h.tree(alice).resolve("other.json");
    h.users.sh(alice, "rm '" + file + "' && printf '{}' > '" + other + "' && ln '" + other + "' '"
        + file + "'");
    shown = awaitInfo("the hard link is refused", j -> j.at("/desired/problem").asText()
        .contains("2 hard links"));
    // Larger than maxCommandBytes (the fixture's 4096): not read at all.
    h.users.sh(alice, "rm '" + file + "' && head -c 5000 /dev/zero > '" + file + "'");
    shown = awaitInfo("the large file is refused", j -> j.at("/desired/problem").asText()
        .contains("is 5000 bytes; at most 4096 are accepted"));
    assertTrue(Files.exists(file));
    assertEquals("shutoff", h.status(alice, "web").get("state").asText());
    assertEquals(0, h.history(alice).stream().filter(l -> !l.get("verb").asText()
        .equals("status")).count());
  }

  @Test
  void noFileNoDesiredState() throws Exception {
    JsonNode shown = awaitInfo("info written", j -> j.has("effective"));
    assertTrue(shown.get("desired").isNull(), shown.toString());
    settings("{\"autostart\": true}");
    awaitInfo("autostart applied", j -> j.at("/effective/autostart").asBoolean());
    Files.delete(settingsFile());
    h.daemon().settingsSweepNow();
    awaitInfo("no desired state", j -> j.get("desired").isNull());
  }

  private long vmLogLines(String text) throws IOException {
    return Files.readAllLines(h.tree(alice).resolve("logs/vm/web.log")).stream()
        .filter(l -> l.contains(text)).count();
  }
}
