package org.wirt.hypervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.wirt.testing.Await;
import org.wirt.testing.Libvirtd;
import org.wirt.testing.TestGuest;

/**
 * {@link LibvirtHypervisor} against a real libvirtd and QEMU (TCG) booting the tiny test guest.
 * Needs root and {@code scripts/test-env.sh}; fails without them.
 */
@Tag("e2e")
class LibvirtHypervisorE2ETest {
  private static final Duration BOOT = Duration.ofSeconds(60);
  private static final Duration POWER_OFF = Duration.ofSeconds(60);
  private static final Duration EVENT = Duration.ofSeconds(10);

  private final LifecycleEvents events = new LifecycleEvents();
  private final List<UUID> defined = new ArrayList<>();
  private LibvirtHypervisor hypervisor;
  private String name;

  @BeforeEach
  void connect(TestInfo test) throws Exception {
    hypervisor = Libvirtd.connect();
    hypervisor.onLifecycle(events);
    String method = test.getTestMethod().orElseThrow().getName();
    name = "wirt-e2e-" + method.substring(0, Math.min(20, method.length())) + "-"
        + UUID.randomUUID().toString().substring(0, 8);
  }

  @AfterEach
  void cleanUp() throws IOException {
    try {
      for (UUID uuid : defined) {
        if (hypervisor.status(uuid).state() != DomainState.SHUTOFF) {
          hypervisor.destroy(uuid);
        }
        hypervisor.undefine(uuid);
      }
    } catch (HypervisorException e) {
      throw new AssertionError("cleanup of " + name + " failed: " + e.getMessage(), e);
    } finally {
      hypervisor.close();
      Files.deleteIfExists(TestGuest.serialLog(name));
    }
  }

  @Test
  void awaitNoJobWaitsForAStartAnotherConnectionAskedFor() throws Exception {
    UUID uuid = defineGuest();
    java.util.concurrent.CompletableFuture<Void> starting = new java.util.concurrent.CompletableFuture<>();
    try (LibvirtHypervisor other = LibvirtHypervisor.open(org.wirt.testing.Libvirtd.URI)) {
      Thread starter = new Thread(() -> {
        try {
          other.start(uuid);
          starting.complete(null);
        } catch (HypervisorException e) {
          starting.completeExceptionally(e);
        }
      });
      starter.start();
      boolean sawJob = false;
      while (!starting.isDone() && !sawJob) {
        sawJob = hypervisor.query("probe", uuid, domain -> {
          try {
            return NativeDomain.busy(domain);
          } catch (NativeDomain.NativeCallException e) {
            return false; // "domain is not running": QEMU is not launched yet
          }
        });
      }
      System.out.println("awaitNoJob test: saw the start job in progress: " + sawJob);
      assertTrue(sawJob || starting.isDone(), "the start ran");
      hypervisor.awaitNoJob(uuid, Duration.ofSeconds(60));
      assertEquals(DomainState.RUNNING, hypervisor.status(uuid).state(),
          "read after the job, the state is the start's result (saw the job: " + sawJob + ")");
      starter.join();
      starting.get();
    }
  }

  private UUID defineGuest() throws Exception {
    Files.deleteIfExists(TestGuest.serialLog(name));
    UUID uuid = hypervisor.define(TestGuest.domainXml(name));
    defined.add(uuid);
    return uuid;
  }

  /** Starts the guest and waits until it listens for the power button; returns the boot time. */
  private Duration bootGuest(UUID uuid) throws Exception {
    long start = System.nanoTime();
    hypervisor.start(uuid);
    assertEquals("booted", events.next(uuid, "started", EVENT).detail());
    awaitReadyCount(1);
    return Duration.ofNanos(System.nanoTime() - start);
  }

  private void awaitReadyCount(int count) throws Exception {
    Path log = TestGuest.serialLog(name);
    Await.value(name + " to print '" + TestGuest.READY + "' " + count + " time(s) in " + log,
        BOOT, () -> readyCount(log), n -> n >= count);
  }

  private static int readyCount(Path log) throws IOException {
    if (!Files.exists(log)) {
      return 0;
    }
    String text = new String(Files.readAllBytes(log), StandardCharsets.UTF_8);
    int count = 0;
    for (int at = text.indexOf(TestGuest.READY); at >= 0; at = text.indexOf(TestGuest.READY, at + 1)) {
      count++;
    }
    return count;
  }

  private void assertState(UUID uuid, DomainState state, String reason) throws HypervisorException {
    DomainStatus status = hypervisor.status(uuid);
    assertEquals(state + "/" + reason, status.state() + "/" + status.reason());
  }

  @Test
  void acpiShutdownMakesGuestPowerItselfOff() throws Exception {
    UUID uuid = defineGuest();
    hypervisor.assign(name, new Owner("alice", 1001, "web"));

    Duration boot = bootGuest(uuid);
    DomainStatus running = hypervisor.status(uuid);
    assertEquals(new DomainStatus(uuid, name, DomainState.RUNNING, "booted", 1, 128, false, List.of()), running);
    long statusStart = System.nanoTime();
    int calls = 50;
    for (int i = 0; i < calls; i++) {
      hypervisor.status(uuid);
    }
    double statusMicros = (System.nanoTime() - statusStart) / 1000.0 / calls;

    long shutdownStart = System.nanoTime();
    hypervisor.shutdown(uuid);
    LifecycleEvent stopped = events.next(uuid, "stopped", POWER_OFF);
    Duration powerOff = Duration.ofNanos(System.nanoTime() - shutdownStart);

    assertEquals(new LifecycleEvent(uuid, name, "stopped", "shutdown"), stopped);
    assertState(uuid, DomainState.SHUTOFF, "shutdown");
    assertEquals(Optional.of(new Owner("alice", 1001, "web")),
        hypervisor.managedDomain(uuid).map(ManagedDomain::owner));
    System.out.printf("e2e timings: boot to ready %d ms, ACPI shutdown to shutoff %d ms, "
        + "qemu:///system status() %.0f us per call%n", boot.toMillis(), powerOff.toMillis(), statusMicros);
  }

  @Test
  void startingRunningGuestFailsWithQemuMessage() throws Exception {
    UUID uuid = defineGuest();
    hypervisor.start(uuid);

    HypervisorException e = assertThrows(HypervisorException.class, () -> hypervisor.start(uuid));

    assertEquals("start " + name + ": Requested operation is not valid: domain is already running", e.getMessage());
    assertFalse(e.unreachable());
  }

  @Test
  void destroyPowersOffAtOnce() throws Exception {
    UUID uuid = defineGuest();
    hypervisor.start(uuid);
    events.next(uuid, "started", EVENT);

    hypervisor.destroy(uuid);

    assertEquals("destroyed", events.next(uuid, "stopped", EVENT).detail());
    assertState(uuid, DomainState.SHUTOFF, "destroyed");
  }

  @Test
  void suspendAndResume() throws Exception {
    UUID uuid = defineGuest();
    bootGuest(uuid);

    hypervisor.suspend(uuid);
    assertEquals("paused", events.next(uuid, "suspended", EVENT).detail());
    assertState(uuid, DomainState.PAUSED, "user");
    hypervisor.resume(uuid);
    assertEquals("unpaused", events.next(uuid, "resumed", EVENT).detail());
    assertState(uuid, DomainState.RUNNING, "unpaused");
  }

  @Test
  void rebootAndResetBootTheGuestAgain() throws Exception {
    UUID uuid = defineGuest();
    bootGuest(uuid);

    // The guest answers the ACPI button by powering off; libvirt turns that into a reboot.
    hypervisor.reboot(uuid);
    awaitReadyCount(2);
    assertEquals(DomainState.RUNNING, hypervisor.status(uuid).state());

    hypervisor.reset(uuid);
    awaitReadyCount(3);
    assertEquals(DomainState.RUNNING, hypervisor.status(uuid).state());
  }

  @Test
  void autostartOnAndOff() throws Exception {
    UUID uuid = defineGuest();

    hypervisor.setAutostart(uuid, true);
    assertTrue(hypervisor.status(uuid).autostart());
    hypervisor.setAutostart(uuid, false);
    assertFalse(hypervisor.status(uuid).autostart());
  }

  @Test
  void assignWhileRunningSurvivesPowerOff() throws Exception {
    UUID uuid = defineGuest();
    hypervisor.start(uuid);

    hypervisor.assign(name, new Owner("alice", 1001, "web"));
    assertEquals(Optional.of(new Owner("alice", 1001, "web")),
        hypervisor.managedDomain(uuid).map(ManagedDomain::owner));
    hypervisor.destroy(uuid);

    assertEquals(Optional.of(new Owner("alice", 1001, "web")),
        hypervisor.managedDomain(uuid).map(ManagedDomain::owner));
    assertTrue(hypervisor.managedDomains().stream().anyMatch(d -> d.uuid().equals(uuid)));
    assertEquals(Optional.of(new Owner("alice", 1001, "web")), hypervisor.unassign(name));
    assertEquals(Optional.empty(), hypervisor.managedDomain(uuid));
  }
}
