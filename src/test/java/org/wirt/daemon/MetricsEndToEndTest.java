package org.wirt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.wirt.testing.Await;
import org.wirt.testing.GuestLab;
import org.wirt.testing.Libvirtd;
import org.wirt.testing.Programs;
import org.wirt.testing.PrometheusText;
import org.wirt.testing.RealUsers;
import org.wirt.testing.RealUsers.User;
import org.wirt.testing.WirtdFixture;

/**
 * Metrics of a real VM, as a real user on the real libvirtd and QEMU: {@code wirt create} on the
 * test guest's image with a card on an isolated network of the test's own, {@code start}, then
 * {@code info/vm/web/metrics.json} in alice's tree (hers, with CPU time, a disk the host has
 * allocated and network bytes once the guest asked for DHCP), {@code wirt top} showing it, and
 * the admin's textfile parsed by a strict parser of Prometheus' text format ({@link
 * PrometheusText}: no Java parser of the format is on Maven Central), with the commands, the
 * refusal, the latency and alice's usage and quota.
 */
@Tag("e2e")
class MetricsEndToEndTest {
  /** How long the guest may take to boot and get its lease under QEMU's emulation. */
  private static final Duration DEADLINE = Duration.ofSeconds(90);
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void aRunningVmsMetricsReachItsOwnerAndWirtdsCountersTheTextfile() throws Exception {
    try (GuestLab lab = GuestLab.start("metrics", "10.214.", "")) {
      Path textfile = lab.base().resolve("prom/wirt.prom");
      Files.createDirectories(textfile.getParent());
      String images = lab.imagesJson();
      lab.importTinyImage(lab.writeConfig(images));
      try (WirtdFixture h = new WirtdFixture(Libvirtd.URI, images + """
          , "metrics": {"vmSeconds": 10, "textfile": "%s", "textfileSeconds": 1},
          "quotas": {"default": {"vms": 2, "vcpus": 2, "memoryMiB": 256, "diskGiB": 4}},
          """.formatted(textfile))) {
        aRunningVmsMetrics(lab, h, textfile);
      }
    }
  }

  private static void aRunningVmsMetrics(GuestLab lab, WirtdFixture h, Path textfile)
      throws Exception {
    User alice = h.user();
    h.start();
    String domain = lab.domain(alice.name() + "-web");
    h.command(alice, "web", "create", "{\"image\": \"tiny\"}");
    JsonNode created = h.awaitHistory(alice, 1, DEADLINE);
    assertEquals("ok", created.get("result").asText(), created.toString());
    h.touch(alice, "web", "start");
    h.awaitState(alice, "web", "running", DEADLINE);
    h.touch(alice, "web", "frobnicate");
    h.awaitHistory(alice, 3, DEADLINE);

    // metrics.json: written as alice, with CPU time, the overlay's allocation and, once the
    // guest asked for its lease, network bytes.
    Path metrics = h.tree(alice).resolve("info/vm/web/metrics.json");
    JsonNode doc = Await.value("metrics.json of web with CPU time and network bytes", DEADLINE,
        () -> JSON.readTree(metrics.toFile()),
        d -> d.at("/cpu/timeNs").asLong() > 0
            && d.at("/network/rxBytes").asLong() + d.at("/network/txBytes").asLong() > 0);
    assertEquals("web", doc.get("vm").asText());
    assertEquals(domain, doc.get("domain").asText());
    assertEquals("running", doc.get("state").asText());
    assertEquals(1, doc.at("/cpu/vcpus").asInt());
    assertEquals(128 * 1024, doc.at("/memory/maxKiB").asLong());
    assertTrue(doc.at("/memory/rssKiB").asLong() > 0, doc.toString());
    assertEquals("vda", doc.at("/disk/disks/0/target").asText(), doc.toString());
    assertEquals(1L << 30, doc.at("/disk/disks/0/capacityBytes").asLong(), doc.toString());
    assertTrue(doc.at("/disk/allocationBytes").asLong() > 0, doc.toString());
    assertEquals(1, doc.at("/network/interfaces").size(), doc.toString());
    assertEquals(String.valueOf(alice.uid()),
        RealUsers.root("stat", "-c", "%u", metrics.toString()).stdout().strip());
    // The next reading has a CPU share: of one host CPU, so at most 100 % for one vCPU.
    JsonNode second = Await.value("a second reading with a CPU share", DEADLINE,
        () -> JSON.readTree(metrics.toFile()), d -> d.at("/cpu/percent").isNumber());
    double percent = second.at("/cpu/percent").asDouble();
    assertTrue(percent >= 0 && percent <= 100.5, second.toString());

    RealUsers.Result top = h.users.run(alice, Programs.command("wirt", "--tree",
        h.tree(alice).toString(), "top").toArray(String[]::new));
    String row = top.stdout().lines().filter(l -> l.startsWith("web ")).findFirst()
        .orElseThrow(() -> new AssertionError("no row for web: " + top.stdout()));
    assertTrue(row.matches("web +running +[0-9.]+% +1 +.*"), top.stdout());

    // The textfile: root's, 0644, and what a scraper reads.
    String text = Await.value("the textfile counting alice's commands", DEADLINE,
        () -> Files.readString(textfile), t -> t.contains("verb=\"start\",result=\"ok\"} 1"));
    assertEquals("0 644", RealUsers.root("stat", "-c", "%u %a", textfile.toString()).stdout()
        .strip());
    Map<String, PrometheusText.Family> f = PrometheusText.parse(text);
    for (PrometheusText.Family family : f.values()) {
      family.samples().forEach(s -> assertEquals(null, s.timestamp(),
          "node_exporter refuses timestamps: " + s));
    }
    assertEquals("counter", f.get("wirt_commands_total").type());
    assertEquals(1, f.get("wirt_commands_total")
        .value("wirt_commands_total", Map.of("verb", "create", "result", "ok")));
    assertEquals(1, f.get("wirt_commands_total")
        .value("wirt_commands_total", Map.of("verb", "start", "result", "ok")));
    assertEquals(1, f.get("wirt_refusals_total")
        .value("wirt_refusals_total", Map.of("verb", "other")));
    PrometheusText.Family latency = f.get("wirt_command_latency_seconds");
    assertEquals("histogram", latency.type());
    assertEquals(2, latency.value("wirt_command_latency_seconds_count"));
    assertTrue(latency.value("wirt_command_latency_seconds_sum") > 0, latency.toString());
    assertEquals(1, f.get("wirt_libvirt_up").value("wirt_libvirt_up"));
    assertEquals(0, f.get("wirt_libvirt_reconnects_total")
        .value("wirt_libvirt_reconnects_total"));
    assertEquals("gauge", f.get("wirt_queue_depth").type());
    assertEquals(0, f.get("wirt_mail_backlog").value("wirt_mail_backlog"));
    Map<String, String> a = Map.of("user", alice.name());
    assertEquals(1, f.get("wirt_user_vms").value("wirt_user_vms", a));
    assertEquals(2, f.get("wirt_user_vms_limit").value("wirt_user_vms_limit", a));
    assertEquals(1, f.get("wirt_user_vcpus").value("wirt_user_vcpus", a));
    assertEquals(2, f.get("wirt_user_vcpus_limit").value("wirt_user_vcpus_limit", a));
    assertEquals(128L << 20, (long) f.get("wirt_user_memory_bytes")
        .value("wirt_user_memory_bytes", a));
    assertEquals(256L << 20, (long) f.get("wirt_user_memory_limit_bytes")
        .value("wirt_user_memory_limit_bytes", a));
    assertEquals(1L << 30, (long) f.get("wirt_user_disk_bytes")
        .value("wirt_user_disk_bytes", a));
    assertEquals(4L << 30, (long) f.get("wirt_user_disk_limit_bytes")
        .value("wirt_user_disk_limit_bytes", a));

    // Stopped, the VM's metrics.json goes at the next reading.
    h.touch(alice, "web", "destroy");
    h.awaitState(alice, "web", "shutoff", DEADLINE);
    Await.until("metrics.json of a stopped VM removed", DEADLINE, () -> !Files.exists(metrics));
    assertFalse(Files.exists(metrics));
  }
}
