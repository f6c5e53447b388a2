package org.wirt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.wirt.testing.PrometheusText;
import org.wirt.testing.RealUsers.User;
import org.wirt.testing.WirtdFixture;

/**
 * The metrics of the whole daemon on libvirt's test driver, for real users: a running VM's
 * {@code metrics.json} in its owner's tree, owned by them, gone once it stops; the textfile with
 * the commands, refusals and usage it saw.
 */
@Tag("root")
class MetricsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private WirtdFixture h;
  private User alice;
  private User bob;
  private Path textfile;

  @BeforeEach
  void start(@TempDir Path prom) throws Exception {
    textfile = prom.resolve("wirt.prom");
    h = new WirtdFixture("test:///default", """
        "metrics": {"vmSeconds": 3600, "textfile": "%s", "textfileSeconds": 3600},
        "quotas": {"default": {"vms": 3, "vcpus": 4, "memoryMiB": 1024, "diskGiB": 10}},
        """.formatted(textfile));
    alice = h.user();
    bob = h.user();
    h.domain(alice.name() + "-web", alice, "web");
    h.domain(bob.name() + "-web", bob, "web");
    h.start();
  }

  @AfterEach
  void stop() throws Exception {
    h.close();
  }

  @Test
  void aRunningVmHasItsMetricsInItsOwnersTreeUntilItStops() throws Exception {
    h.touch(alice, "web", "start");
    h.awaitState(alice, "web", "running");
    h.daemon().meterNow();

    Path file = h.tree(alice).resolve("info/vm/web/metrics.json");
    JsonNode doc = JSON.readTree(file.toFile());
    assertEquals("web", doc.get("vm").asText());
    assertEquals("running", doc.get("state").asText());
    assertEquals(1, doc.at("/cpu/vcpus").asInt());
    assertTrue(doc.at("/cpu/timeNs").asLong() > 0, doc.toString());
    assertEquals(256 * 1024, doc.at("/memory/currentKiB").asLong());
    assertEquals(alice.uid(), (int) Files.getAttribute(file, "unix:uid", LinkOption.NOFOLLOW_LINKS));
    assertEquals(0600, (int) Files.getAttribute(file, "unix:mode") & 07777);
    assertFalse(Files.exists(h.tree(bob).resolve("info/vm/web/metrics.json")),
        "bob's VM does not run");

    // A second reading has a CPU share (the test driver's CPU time is its clock).
    h.daemon().meterNow();
    assertTrue(JSON.readTree(file.toFile()).at("/cpu/percent").isNumber(), doc.toString());

    h.touch(alice, "web", "destroy");
    h.awaitState(alice, "web", "shutoff");
    h.daemon().meterNow();
    assertFalse(Files.exists(file), "metrics.json of a VM that stopped");
  }

  @Test
  void theTextfileCountsCommandsRefusalsAndUsage() throws Exception {
    h.touch(alice, "web", "start");
    h.awaitHistory(alice, 1);
    h.touch(alice, "web", "frobnicate");
    h.awaitHistory(alice, 2);
    h.daemon().meterNow();

    assertEquals(0644, (int) Files.getAttribute(textfile, "unix:mode") & 07777);
    assertEquals(0, (int) Files.getAttribute(textfile, "unix:uid"));
    Map<String, PrometheusText.Family> f = PrometheusText.parse(Files.readString(textfile));
    assertEquals(1, f.get("wirt_commands_total")
        .value("wirt_commands_total", Map.of("verb", "start", "result", "ok")));
    assertEquals(1, f.get("wirt_refusals_total")
        .value("wirt_refusals_total", Map.of("verb", "other")));
    assertEquals(1, f.get("wirt_command_latency_seconds")
        .value("wirt_command_latency_seconds_count"));
    assertEquals(1, f.get("wirt_libvirt_up").value("wirt_libvirt_up"));
    assertEquals(0, f.get("wirt_mail_backlog").value("wirt_mail_backlog"));
    Map<String, String> a = Map.of("user", alice.name());
    assertEquals(1, f.get("wirt_user_vms").value("wirt_user_vms", a));
    assertEquals(3, f.get("wirt_user_vms_limit").value("wirt_user_vms_limit", a));
    assertEquals(1, f.get("wirt_user_vcpus").value("wirt_user_vcpus", a));
    assertEquals(256L << 20, (long) f.get("wirt_user_memory_bytes")
        .value("wirt_user_memory_bytes", a));
    assertEquals(1024L << 20, (long) f.get("wirt_user_memory_limit_bytes")
        .value("wirt_user_memory_limit_bytes", a));
    assertEquals(0, f.get("wirt_user_vcpus")
        .value("wirt_user_vcpus", Map.of("user", bob.name())));
  }
}
