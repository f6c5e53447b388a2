package org.wirt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.wirt.testing.RealUsers.User;
import org.wirt.testing.RealUsers;
import org.wirt.testing.WirtdFixture;

/** Who is served follows the Unix group, read from NSS, without a restart. */
@Tag("root")
class MembershipTest {

  @Test
  void aUserWhoLeavesIsNoLongerServedAndTheirCommandsWaitUntilTheyRejoin() throws Exception {
    try (WirtdFixture h = new WirtdFixture()) {
      String group = h.users.createGroup();
      User alice = h.user(h.users.createUser(group));
      User bob = h.user(h.users.createUserInPrimaryGroup(group));
      h.domain(alice.name() + "-web", alice, "web");
      h.domain(bob.name() + "-web", bob, "web");
      h.startWithGroup(group);
      assertEquals(2, h.daemon().userCount(), "an explicit member and a primary-group member");

      RealUsers.root("gpasswd", "-d", alice.name(), group);
      h.daemon().readMembersNow();
      assertEquals(1, h.daemon().userCount());
      h.touch(alice, "web", "start");
      h.daemon().sweepNow();
      h.touch(bob, "web", "start");
      h.awaitHistory(bob, 1);
      Path start = h.tree(alice).resolve("command/vm/web/start");
      assertTrue(Files.exists(start), "a former member's command stays untouched");
      assertTrue(h.history(alice).isEmpty());

      RealUsers.root("gpasswd", "-a", alice.name(), group);
      h.daemon().readMembersNow();
      h.daemon().sweepNow();
      assertEquals("ok", h.awaitHistory(alice, 1).get("result").asText());
      h.awaitState(alice, "web", "running");
    }
  }
}
