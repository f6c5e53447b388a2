package org.wirt.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.OptionalLong;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.wirt.hypervisor.DomainMetrics;
import org.wirt.hypervisor.DomainState;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.LibvirtHypervisor;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.hypervisor.Owner;

/**
 * {@code metrics.json} from what libvirt's {@code test:///default} driver reports of its running
 * domain {@code test}, and the rates between two readings.
 */
class MetricsDocumentTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Instant T0 = Instant.parse("2024-05-06T07:08:09Z");

  private LibvirtHypervisor hypervisor;
  private ManagedDomain test;

  @BeforeEach
  void connect() throws HypervisorException {
    hypervisor = LibvirtHypervisor.open("test:///default");
    test = hypervisor.assign("test", new Owner("alice", 1001, "web"));
  }

  @AfterEach
  void disconnect() {
    hypervisor.close();
  }

  private static JsonNode json(ManagedDomain d, MetricsDocument.Reading now,
      MetricsDocument.Reading before) throws Exception {
    return JSON.readTree(MetricsDocument.of(d, now, before, Duration.ofSeconds(60)));
  }

  @Test
  void aRunningTestDomainsDocumentHasCpuMemoryDiskAndNetwork() throws Exception {
    DomainMetrics m = hypervisor.metrics(test.uuid()).orElseThrow();

    JsonNode doc = json(test, new MetricsDocument.Reading(T0, m), null);

    assertEquals("web", doc.get("vm").asText());
    assertEquals("test", doc.get("domain").asText());
    assertEquals("running", doc.get("state").asText());
    assertEquals("2024-05-06T07:08:09Z", doc.get("time").asText());
    assertEquals(60, doc.get("intervalSeconds").asInt());
    assertEquals(2, doc.at("/cpu/vcpus").asInt());
    assertTrue(doc.at("/cpu/timeNs").asLong() > 0, doc.toString());
    assertTrue(doc.at("/cpu/percent").isNull(), "no rate from one reading: " + doc);
    assertEquals(2 * 1024 * 1024, doc.at("/memory/currentKiB").asLong());
    assertEquals(8 * 1024 * 1024, doc.at("/memory/maxKiB").asLong());
    assertEquals(1024 * 1024, doc.at("/memory/guestUsedKiB").asLong());
    assertTrue(doc.at("/memory/rssKiB").asLong() > 0, doc.toString());
    assertEquals("vda", doc.at("/disk/disks/0/target").asText());
    assertEquals(m.diskAllocationBytes(), doc.at("/disk/allocationBytes").asLong());
    assertTrue(doc.at("/disk/allocationBytes").asLong() > 0, doc.toString());
    assertEquals("testnet0", doc.at("/network/interfaces/0/target").asText());
    assertEquals("aa:bb:cc:dd:ee:ff", doc.at("/network/interfaces/0/mac").asText());
    assertTrue(doc.at("/network/rxBytes").asLong() > 0, doc.toString());
    assertTrue(doc.at("/network/txBytesPerSecond").isNull(), doc.toString());
  }

  @Test
  void twoReadingsGiveTheCpuShareAndNetworkRates() throws Exception {
    UUID uuid = UUID.randomUUID();
    ManagedDomain d = new ManagedDomain(uuid, "alice-web", new Owner("alice", 1001, "web"));
    MetricsDocument.Reading before = new MetricsDocument.Reading(T0,
        metrics(uuid, 10_000_000_000L, 1_000, 2_000));
    // 60 s later: 45 s of CPU (75 % of one CPU), 6,000 bytes in, 12,000 out.
    MetricsDocument.Reading now = new MetricsDocument.Reading(T0.plusSeconds(60),
        metrics(uuid, 55_000_000_000L, 7_000, 14_000));

    JsonNode doc = json(d, now, before);

    assertEquals(75.0, doc.at("/cpu/percent").asDouble());
    assertEquals(100, doc.at("/network/rxBytesPerSecond").asLong());
    assertEquals(200, doc.at("/network/txBytesPerSecond").asLong());
  }

  @Test
  void countersThatWentDownMeanARestartAndGiveNoRate() throws Exception {
    UUID uuid = UUID.randomUUID();
    ManagedDomain d = new ManagedDomain(uuid, "alice-web", new Owner("alice", 1001, "web"));
    JsonNode doc = json(d,
        new MetricsDocument.Reading(T0.plusSeconds(60), metrics(uuid, 1_000, 10, 10)),
        new MetricsDocument.Reading(T0, metrics(uuid, 9_000_000, 99, 99)));

    assertTrue(doc.at("/cpu/percent").isNull(), doc.toString());
    assertTrue(doc.at("/network/rxBytesPerSecond").isNull(), doc.toString());
  }

  @Test
  void textFromLibvirtIsEscaped() throws Exception {
    UUID uuid = UUID.randomUUID();
    ManagedDomain d = new ManagedDomain(uuid, "alice-web\u202e", new Owner("alice", 1001, "web"));
    DomainMetrics m = new DomainMetrics(uuid, d.name(), DomainState.RUNNING, 1, 1, 1, 1,
        OptionalLong.empty(), OptionalLong.empty(),
        List.of(new DomainMetrics.Disk("vd\na", 1, 1, 1)),
        List.of(new DomainMetrics.Nic("vnet\u2028", null, 0, 0, 0, 0)));

    JsonNode doc = json(d, new MetricsDocument.Reading(T0, m), null);

    assertEquals("alice-web\\xe2\\x80\\xae", doc.get("domain").asText());
    assertEquals("vd\\x0aa", doc.at("/disk/disks/0/target").asText());
    assertEquals("vnet\\xe2\\x80\\xa8", doc.at("/network/interfaces/0/target").asText());
    assertTrue(doc.at("/network/interfaces/0/mac").isNull(), doc.toString());
    assertTrue(doc.at("/memory/rssKiB").isNull(), doc.toString());
  }

  private static DomainMetrics metrics(UUID uuid, long cpuNs, long rx, long tx) {
    return new DomainMetrics(uuid, "alice-web", DomainState.RUNNING, 1, cpuNs, 1024, 1024,
        OptionalLong.of(2048), OptionalLong.empty(), List.of(),
        List.of(new DomainMetrics.Nic("vnet0", "52:54:00:00:00:01", rx, tx, 1, 1)));
  }
}
