package org.wirt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.wirt.hypervisor.DomainState;
import org.wirt.hypervisor.Hypervisor;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.testing.Await;
import org.wirt.testing.RealUsers.User;
import org.wirt.testing.WirtdFixture;

/** What wirtd does first when it starts. */
class StartupTest {

  @Test
  void aCommandWaitingInTheLastTreeIsServedBeforeAnyStatusIsRead() throws Exception {
    try (WirtdFixture h = new WirtdFixture()) {
      List<User> users = Stream.of(h.user(), h.user(), h.user())
          .sorted(Comparator.comparing(User::name)).toList();
      for (User u : users) {
        h.domain(u.name() + "-web", u, "web");
      }
      User last = users.get(users.size() - 1);
      ManagedDomain web = h.hypervisor.managedDomains().stream()
          .filter(d -> d.owner().user().equals(last.name())).findFirst().orElseThrow();
      // Written a minute before wirtd starts (so it is taken at once, not after the settle time).
      Path vmDir = h.tree(last).resolve("command/vm/web");
      h.users.sh(last, "mkdir -p '" + vmDir + "' && touch -d '1 minute ago' '" + vmDir + "/start'");

      // The first sweep's questions about statuses wait until the test lets them through.
      CountDownLatch statusesMayGo = new CountDownLatch(1);
      h.start(real -> (Hypervisor) Proxy.newProxyInstance(Hypervisor.class.getClassLoader(),
          new Class<?>[] {Hypervisor.class}, (proxy, method, args) -> {
            if (method.getName().equals("status") && Thread.currentThread().getName().startsWith("wirt-sweep")) {
              statusesMayGo.await(WirtdFixture.DEADLINE.toSeconds(), TimeUnit.SECONDS);
            }
            try {
              return method.invoke(real, args);
            } catch (InvocationTargetException e) {
              throw e.getCause();
            }
          }));
      try {
        Await.until("the waiting start performed while the sweep has read no status", () -> {
          try {
            return h.hypervisor.status(web.uuid()).state() == DomainState.RUNNING;
          } catch (Exception e) {
            return false;
          }
        });
        assertFalse(Files.exists(h.tree(users.get(0)).resolve("info/vm/web/status.json")),
            "the first tree's statuses were not written yet");
      } finally {
        statusesMayGo.countDown();
      }
      for (User u : users) {
        Await.until(u.name() + "'s status.json", () -> Files.exists(h.tree(u).resolve("info/vm/web/status.json")));
      }
      Await.until("the start's history line", () -> {
        try {
          return h.history(last).size() == 1;
        } catch (java.io.IOException e) {
          return false;
        }
      });
      assertEquals("ok", h.history(last).get(0).path("result").asText());
    }
  }
}
