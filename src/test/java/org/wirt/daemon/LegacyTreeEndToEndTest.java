package org.wirt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.wirt.hypervisor.DomainState;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.hypervisor.Owner;
import org.wirt.testing.Libvirtd;
import org.wirt.testing.RealUsers.User;
import org.wirt.testing.TestGuest;
import org.wirt.testing.WirtdFixture;

/**
 * The old cron script's layout on the real libvirtd and QEMU (issue 15): a real user's {@code
 * ~/virsh/dom-web/start} boots the test guest, which libvirt and {@code status.json} then show
 * running, with a history line that says where the file was; {@code ~/virsh/dom-web/destroy}
 * powers it off again. The guest has no network interface.
 */
@Tag("e2e")
class LegacyTreeEndToEndTest {
  /** How long the guest may take to start under QEMU's emulation. */
  private static final Duration DEADLINE = Duration.ofSeconds(90);

  @Test
  void aRealUsersVirshDomWebStartBootsTheRealVm() throws Exception {
    TestGuest.requireBuilt();
    Libvirtd.connect().close();
    WirtdFixture h = new WirtdFixture(Libvirtd.URI, "\"legacyTreeDir\": \"virsh\",");
    ManagedDomain web = null;
    try {
      User alice = h.user();
      String domain = alice.name() + "-web";
      web = h.hypervisor.define(TestGuest.domainXml(domain), new Owner(alice.name(), alice.uid(), "web"));
      h.start();
      Path dom = alice.home().resolve("virsh/dom-web");
      h.users.sh(alice, "mkdir -p '" + dom + "' '" + alice.home().resolve("virsh/history") + "' '"
          + alice.home().resolve("virsh/log") + "' && touch '" + dom + "/start'");

      JsonNode started = h.awaitHistory(alice, 1, DEADLINE);
      assertEquals("ok", started.get("result").asText(), started.toString());
      assertEquals("start", started.get("verb").asText());
      assertEquals(domain, started.get("domain").asText());
      assertTrue(started.get("message").asText().startsWith("from ~" + alice.name()
          + "/virsh/dom-web/start (the old ~/virsh layout"), started.toString());
      assertTrue(started.get("message").asText().endsWith("): started " + domain), started.toString());
      h.awaitState(alice, "web", "running", DEADLINE);
      assertEquals(DomainState.RUNNING, h.hypervisor.status(web.uuid()).state(), "libvirt says running");
      assertFalse(Files.exists(dom.resolve("start")), "the file is consumed");
      assertEquals(alice.uid(), (int) Files.getAttribute(h.tree(alice).resolve("info/vm/web/status.json"), "unix:uid"));

      h.users.run(alice, "touch", dom.resolve("destroy").toString());
      JsonNode destroyed = h.awaitHistory(alice, 2, DEADLINE);
      assertEquals("ok", destroyed.get("result").asText(), destroyed.toString());
      assertEquals("from ~" + alice.name() + "/virsh/dom-web/destroy: powered off " + domain,
          destroyed.get("message").asText());
      h.awaitState(alice, "web", "shutoff", DEADLINE);
      assertEquals(DomainState.SHUTOFF, h.hypervisor.status(web.uuid()).state(), "libvirt says shut off");
    } finally {
      if (web != null) {
        try {
          h.hypervisor.destroy(web.uuid());
        } catch (Exception e) {
          // already off
        }
        h.hypervisor.undefine(web.uuid());
      }
      h.close();
    }
  }
}
