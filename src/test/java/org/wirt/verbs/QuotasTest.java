package org.wirt.verbs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.wirt.config.QuotaConfig.Quota;
import org.wirt.config.QuotaConfig;

class QuotasTest {
  private static final Quota DEFAULT = new Quota(2, 4, 4096, 50);
  private static final Quota STAFF = new Quota(5, 8, 8192, 100);
  private static final Quota ALICE = new Quota(1, 1, 512, 10);
  private final Quotas quotas = new Quotas(new QuotaConfig(DEFAULT,
      Map.of("staff", STAFF), Map.of("alice", ALICE)));

  @Test
  void theMostSpecificEntryWins() {
    assertEquals(new Quotas.Limits(ALICE, "user"), quotas.limits("alice", Set.of("staff")::contains));
    assertEquals(new Quotas.Limits(STAFF, "group:staff"), quotas.limits("bob", Set.of("staff")::contains));
    assertEquals(new Quotas.Limits(DEFAULT, "default"), quotas.limits("carol", g -> false));
  }

  @Test
  void createCountsVmsAndDiskAndRefusesAVmThatCouldNeverRun() {
    Quotas.Usage u = new Quotas.Usage(1, 2, 2048, 40);
    assertEquals(Optional.empty(), Quotas.checkCreate(DEFAULT, u, 1, 1024, 10));
    assertEquals(Optional.of("vms: 2 defined + 1 asked > 2 allowed"),
        Quotas.checkCreate(DEFAULT, new Quotas.Usage(2, 0, 0, 0), 1, 1024, 1));
    assertEquals(Optional.of("disk: 40 GiB used + 11 GiB asked > 50 GiB allowed"),
        Quotas.checkCreate(DEFAULT, u, 1, 1024, 11));
    assertEquals(Optional.of("vcpus: 5 asked > 4 allowed (running)"),
        Quotas.checkCreate(DEFAULT, u, 5, 1024, 1));
    assertEquals(Optional.of("memory: 8192 MiB asked > 4096 MiB allowed (running)"),
        Quotas.checkCreate(DEFAULT, u, 1, 8192, 1));
  }

  @Test
  void startCountsRunningVcpusAndMemory() {
    Quotas.Usage u = new Quotas.Usage(2, 2, 2048, 0);
    assertEquals(Optional.empty(), Quotas.checkStart(DEFAULT, u, 2, 2048));
    assertEquals(Optional.of("vcpus: 2 running + 3 asked > 4 allowed"),
        Quotas.checkStart(DEFAULT, u, 3, 1024));
    assertEquals(Optional.of("memory: 2048 MiB running + 2049 MiB asked > 4096 MiB allowed"),
        Quotas.checkStart(DEFAULT, u, 1, 2049));
  }
}
