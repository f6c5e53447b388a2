package org.wirt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.wirt.testing.RealUsers.User;
import org.wirt.testing.WirtdFixture;

/**
 * SPEC 3's name collision: user {@code a} with VM {@code b-c} and user {@code a-b} with VM {@code
 * c} both map to domain {@code a-b-c} under {@code {user}-{vm}}. Only the owner metadata decides.
 */
@Tag("root")
class OwnershipCollisionTest {

  @Test
  void aCollidingDomainNameNeverHandsOneUserTheOthersVm() throws Exception {
    try (WirtdFixture h = new WirtdFixture()) {
      User a = h.user();
      User ab = h.user(h.users.createNamedUser(a.name() + "-b", null));
      h.domain(a.name() + "-b-c", ab, "c");
      h.start();

      h.touch(a, "b-c", "start");
      JsonNode refused = h.awaitHistory(a, 1);
      assertEquals("rejected", refused.get("result").asText(), refused.toString());
      assertTrue(refused.get("message").asText().contains("VM 'b-c' is not yours"), refused.toString());
      assertEquals("shutoff", h.status(ab, "c").get("state").asText());

      h.touch(ab, "c", "start");
      JsonNode ok = h.awaitHistory(ab, 1);
      assertEquals("ok", ok.get("result").asText(), ok.toString());
      assertEquals(a.name() + "-b-c", ok.get("domain").asText());
      h.awaitState(ab, "c", "running");
    }
  }
}
