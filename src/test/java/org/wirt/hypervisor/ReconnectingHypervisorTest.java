package org.wirt.hypervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.wirt.testing.Await;

class ReconnectingHypervisorTest {
  private final List<FakeHypervisor> opened = new CopyOnWriteArrayList<>();
  private final AtomicInteger refusals = new AtomicInteger();

  private Hypervisor open() throws HypervisorException {
    if (refusals.getAndDecrement() > 0) {
      throw new HypervisorException("connect: Failed to connect socket", true, null);
    }
    FakeHypervisor h = new FakeHypervisor();
    opened.add(h);
    return h;
  }

  @Test
  void aLostConnectionFailsFastReconnectsAndKeepsListeners() throws Exception {
    try (ReconnectingHypervisor h = ReconnectingHypervisor.open("fake:///", this::open)) {
      List<Boolean> transitions = new CopyOnWriteArrayList<>();
      h.onConnectivity(transitions::add);
      List<String> events = new ArrayList<>();
      h.onLifecycle(e -> events.add(e.type()));
      UUID id = UUID.randomUUID();
      h.start(id);

      FakeHypervisor first = opened.get(0);
      first.reachable = false;
      refusals.set(2);
      HypervisorException lost = assertThrows(HypervisorException.class, () -> h.destroy(id));
      assertTrue(lost.unreachable());
      HypervisorException waiting = assertThrows(HypervisorException.class, () -> h.status(id));
      assertEquals("libvirt at fake:/// is unreachable; wirtd is reconnecting", waiting.getMessage());
      assertFalse(h.isAlive());

      Await.until("reconnected after two refused attempts", Duration.ofSeconds(30),
          () -> transitions.size() == 2);
      assertEquals(List.of(false, true), transitions);
      assertEquals(2, opened.size());
      assertTrue(first.closed, "the lost connection is closed");
      h.destroy(id);
      assertEquals(List.of("onLifecycle", "destroy"), opened.get(1).calls);
      opened.get(1).emit(new LifecycleEvent(id, "x", "stopped", "destroyed"));
      assertEquals(List.of("stopped"), events, "listeners are registered again");
    }
  }

  @Test
  void anIdleLossIsNoticedByTheLivenessCheck() throws Exception {
    try (ReconnectingHypervisor h = ReconnectingHypervisor.open("fake:///", this::open)) {
      List<Boolean> transitions = new CopyOnWriteArrayList<>();
      h.onConnectivity(transitions::add);
      opened.get(0).reachable = false;
      Await.until("loss and return noticed without any call", Duration.ofSeconds(30),
          () -> transitions.size() == 2);
      assertEquals(List.of(false, true), transitions);
    }
  }

  @Test
  void aRefusedCallIsNotALoss() throws Exception {
    try (ReconnectingHypervisor h = ReconnectingHypervisor.open("fake:///", this::open)) {
      opened.get(0).refusal = "Requested operation is not valid: domain is already running";
      HypervisorException refused = assertThrows(HypervisorException.class,
          () -> h.start(UUID.randomUUID()));
      assertFalse(refused.unreachable());
      assertEquals("start: Requested operation is not valid: domain is already running",
          refused.getMessage());
      assertTrue(h.isAlive());
      assertEquals(1, opened.size());
    }
  }
}
