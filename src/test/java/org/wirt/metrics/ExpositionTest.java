package org.wirt.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.wirt.testing.PrometheusText;

/** wirtd's counters in the text format: exact lines, escaping, cumulative buckets. */
class ExpositionTest {

  /** Gauges with fixed values. */
  private record FixedGauges(int queueDepth, int mailBacklog, boolean libvirtUp,
      List<UserUsage> usage) implements Gauges {}

  private static final FixedGauges QUIET = new FixedGauges(0, 0, true, List.of());

  @Test
  void writesEveryFamilyWithHelpAndTypeAndNoTimestamps() throws Exception {
    WirtMetrics m = new WirtMetrics();
    m.commandRecorded("start", "ok");
    m.commandRecorded("start", "ok");
    m.commandRecorded("stop", "failed");
    m.commandLatency(Duration.ofMillis(30));
    m.refused("start");
    m.refused("not-a-verb");
    m.reconnected();
    String text = Exposition.render(m, new FixedGauges(3, 2, false, List.of(
        new UserUsage("alice", 1, 4, 2, 8, 512, 8192, 10, 100))));

    assertTrue(text.startsWith("""
        # HELP wirt_commands_total Commands wirtd claimed, ran and recorded, by verb and result.
        # TYPE wirt_commands_total counter
        wirt_commands_total{verb="start",result="ok"} 2
        wirt_commands_total{verb="stop",result="failed"} 1
        # HELP wirt_command_latency_seconds Seconds from a command file's modification to its outcome recorded.
        # TYPE wirt_command_latency_seconds histogram
        wirt_command_latency_seconds_bucket{le="0.005"} 0
        wirt_command_latency_seconds_bucket{le="0.01"} 0
        wirt_command_latency_seconds_bucket{le="0.025"} 0
        wirt_command_latency_seconds_bucket{le="0.05"} 1
        """), text);
    assertTrue(text.contains("""
        wirt_command_latency_seconds_bucket{le="600"} 1
        wirt_command_latency_seconds_bucket{le="+Inf"} 1
        wirt_command_latency_seconds_sum 0.03
        wirt_command_latency_seconds_count 1
        # HELP wirt_refusals_total Command entries refused and moved to rejected/, by verb (other: not a verb).
        # TYPE wirt_refusals_total counter
        wirt_refusals_total{verb="other"} 1
        wirt_refusals_total{verb="start"} 1
        # HELP wirt_libvirt_reconnects_total Times the connection to libvirt was lost and made again.
        # TYPE wirt_libvirt_reconnects_total counter
        wirt_libvirt_reconnects_total 1
        # HELP wirt_libvirt_up 1 while wirtd is connected to libvirt, else 0.
        # TYPE wirt_libvirt_up gauge
        wirt_libvirt_up 0
        # HELP wirt_queue_depth VMs with commands waiting for a worker or being served.
        # TYPE wirt_queue_depth gauge
        wirt_queue_depth 3
        # HELP wirt_mail_backlog Mail notices waiting in the outbox (a digest is one).
        # TYPE wirt_mail_backlog gauge
        wirt_mail_backlog 2
        # HELP wirt_user_vms VMs the user has.
        # TYPE wirt_user_vms gauge
        wirt_user_vms{user="alice"} 1
        """), text);
    assertTrue(text.endsWith("""
        # TYPE wirt_user_disk_limit_bytes gauge
        wirt_user_disk_limit_bytes{user="alice"} 107374182400
        """), text);

    Map<String, PrometheusText.Family> parsed = PrometheusText.parse(text);
    assertEquals(List.of("wirt_commands_total", "wirt_command_latency_seconds",
        "wirt_refusals_total", "wirt_libvirt_reconnects_total", "wirt_libvirt_up",
        "wirt_queue_depth", "wirt_mail_backlog", "wirt_user_vms", "wirt_user_vms_limit",
        "wirt_user_vcpus", "wirt_user_vcpus_limit", "wirt_user_memory_bytes",
        "wirt_user_memory_limit_bytes", "wirt_user_disk_bytes", "wirt_user_disk_limit_bytes"),
        new ArrayList<>(parsed.keySet()));
    assertEquals(512L << 20, (long) parsed.get("wirt_user_memory_bytes")
        .value("wirt_user_memory_bytes", Map.of("user", "alice")));
    assertEquals(8192L << 20, (long) parsed.get("wirt_user_memory_limit_bytes")
        .value("wirt_user_memory_limit_bytes", Map.of("user", "alice")));
    for (PrometheusText.Family f : parsed.values()) {
      f.samples().forEach(s -> assertEquals(null, s.timestamp(), s.toString()));
    }
  }

  @Test
  void labelValuesEscapeBackslashQuoteAndLineFeed() throws Exception {
    String odd = "a\\b\"c\nd";
    String text = Exposition.render(new WirtMetrics(), new FixedGauges(0, 0, true,
        List.of(new UserUsage(odd, 0, 0, 0, 0, 0, 0, 0, 0))));

    assertTrue(text.contains("wirt_user_vms{user=\"a\\\\b\\\"c\\nd\"} 0\n"), text);
    assertEquals(0, PrometheusText.parse(text).get("wirt_user_vms")
        .value("wirt_user_vms", Map.of("user", odd)));
    assertEquals("a\\\\b\\\"c\\nd", Exposition.escapeLabel(odd));
    assertEquals("x \\\\ \"y\"\\nz", Exposition.escapeHelp("x \\ \"y\"\nz"));
  }

  @Test
  void histogramBucketsAreCumulativeAndTheInfiniteOneIsTheCount() throws Exception {
    WirtMetrics m = new WirtMetrics();
    // One at a bucket's bound (counted in it), one between, one past every bound.
    for (Duration d : List.of(Duration.ofMillis(100), Duration.ofMillis(700),
        Duration.ofMinutes(20), Duration.ofMillis(-5))) {
      m.commandLatency(d);
    }
    PrometheusText.Family h = PrometheusText.parse(Exposition.render(m, QUIET))
        .get("wirt_command_latency_seconds");

    assertEquals("histogram", h.type());
    assertEquals(1, h.value("wirt_command_latency_seconds_bucket", Map.of("le", "0.005")));
    assertEquals(1, h.value("wirt_command_latency_seconds_bucket", Map.of("le", "0.05")));
    assertEquals(2, h.value("wirt_command_latency_seconds_bucket", Map.of("le", "0.1")));
    assertEquals(2, h.value("wirt_command_latency_seconds_bucket", Map.of("le", "0.5")));
    assertEquals(3, h.value("wirt_command_latency_seconds_bucket", Map.of("le", "1")));
    assertEquals(3, h.value("wirt_command_latency_seconds_bucket", Map.of("le", "600")));
    assertEquals(4, h.value("wirt_command_latency_seconds_bucket", Map.of("le", "+Inf")));
    assertEquals(4, h.value("wirt_command_latency_seconds_count"));
    assertEquals(1200.8, h.value("wirt_command_latency_seconds_sum"), 1e-9);
  }

  @Test
  void anEmptyRegistryIsStillAValidFile() throws Exception {
    Map<String, PrometheusText.Family> parsed =
        PrometheusText.parse(Exposition.render(new WirtMetrics(), QUIET));

    assertEquals(List.of(), parsed.get("wirt_commands_total").samples());
    assertEquals("counter", parsed.get("wirt_commands_total").type());
    assertEquals(0, parsed.get("wirt_command_latency_seconds")
        .value("wirt_command_latency_seconds_count"));
    assertEquals(List.of(), parsed.get("wirt_user_vms").samples());
  }

  @Test
  void labelsAreBoundedToVerbsAndResultsToWords() {
    WirtMetrics m = new WirtMetrics();
    for (int i = 0; i < 1000; i++) {
      m.refused("junk-" + i);
      m.commandRecorded("junk-" + i, "ok");
    }
    m.refused(null);

    assertEquals(Map.of("other", 1001L), m.refusals());
    assertEquals(1, m.commands().size());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> m.commandRecorded("start", "o\"k"));
    assertEquals("not a result: o\"k", e.getMessage());
  }

  @Test
  void numbersAreWrittenAsGoReadsThem() {
    assertEquals("1", Exposition.number(1.0));
    assertEquals("0.025", Exposition.number(0.025));
    assertEquals("+Inf", Exposition.number(Double.POSITIVE_INFINITY));
    assertEquals("NaN", Exposition.number(Double.NaN));
    assertEquals("1.0E-5", Exposition.number(0.00001));
  }
}
