package org.wirt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.wirt.hypervisor.Hypervisor;
import org.wirt.testing.Await;
import org.wirt.testing.RealUsers.User;
import org.wirt.testing.WirtdFixture;

/**
 * An {@code Error} (not a VirtualMachineError, which halts wirtd: ThreadFailuresTest) thrown while
 * a real worker thread serves a command: the worker lives on, the VM is released, and the VM's
 * next command is served. On the old code the worker thread died with the VM still taken, and
 * nothing of that VM was served again.
 */
@Tag("root")
class WorkerErrorTest {
  private WirtdFixture h;
  private User alice;
  private final AtomicBoolean armed = new AtomicBoolean();
  private volatile String failing;

  @BeforeEach
  void start() throws Exception {
    h = new WirtdFixture();
    alice = h.user();
    h.domain(alice.name() + "-web", alice, "web");
  }

  @AfterEach
  void stop() throws Exception {
    h.close();
  }

  /** Starts the daemon on libvirt where the next call of {@code method} throws a LinkageError. */
  private void startFailingOnce(String method) throws Exception {
    failing = method;
    h.start(real -> (Hypervisor) Proxy.newProxyInstance(Hypervisor.class.getClassLoader(),
        new Class<?>[] {Hypervisor.class}, (proxy, m, args) -> {
          if (m.getName().equals(failing) && armed.compareAndSet(true, false)) {
            throw new LinkageError("injected by the test into " + failing);
          }
          try {
            return m.invoke(real, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        }));
    h.daemon().sweepNow();
    armed.set(true);
  }

  @Test
  void anActionThatThrowsAnErrorIsRecordedAsFailedAndTheVmServedAgain() throws Exception {
    startFailingOnce("start");
    h.touch(alice, "web", "start");
    JsonNode failed = h.awaitHistory(alice, 1);
    assertEquals("start", failed.get("verb").asText());
    assertEquals("failed", failed.get("result").asText(), failed.toString());
    assertEquals("injected by the test into start", failed.get("message").asText());
    h.touch(alice, "web", "start");
    JsonNode started = h.awaitHistory(alice, 2);
    assertEquals("ok", started.get("result").asText(), started.toString());
    Await.until("no command running", () -> h.daemon().running() == 0);
  }

  @Test
  void anErrorBeforeTheClaimLeavesTheCommandQueuedAndTheVmReleased() throws Exception {
    // managedDomain is read just before a command is claimed: the Error escapes the serving.
    startFailingOnce("managedDomain");
    h.touch(alice, "web", "status");
    JsonNode line = h.awaitHistory(alice, 1);
    assertEquals("status", line.get("verb").asText());
    assertEquals("ok", line.get("result").asText(), line.toString());
    assertTrue(!armed.get(), "the Error was thrown");
    h.touch(alice, "web", "start");
    assertEquals("ok", h.awaitHistory(alice, 2).get("result").asText());
    Await.until("no command running", () -> h.daemon().running() == 0);
  }
}
