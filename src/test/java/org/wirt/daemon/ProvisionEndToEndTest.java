package org.wirt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.wirt.cli.ExitCode;
import org.wirt.posix.Nss;
import org.wirt.testing.Await;
import org.wirt.testing.Libvirtd;
import org.wirt.testing.RealUsers.User;
import org.wirt.testing.RealUsers;
import org.wirt.testing.TestGuest;
import org.wirt.testing.WirtdFixture;
import org.wirt.wirtctl.Caller;
import org.wirt.wirtctl.WirtctlCommand;

/**
 * Golden images and VMs on the real libvirtd with real qcow2 files: an admin imports a tiny
 * image, a user creates a VM on it, boots it (the test guest's kernel; the disk is never read),
 * is held to the memory quota, and deletes it; the golden image stays byte for byte the same.
 */
@Tag("e2e")
class ProvisionEndToEndTest {

  @Test
  void importCreateBootDeleteAndRemoveOnRealLibvirt() throws Exception {
    Libvirtd.connect().close();
    String id = UUID.randomUUID().toString().substring(0, 8);
    Path base = Path.of("/var/lib/wirt-test/prov-" + id);
    Path images = base.resolve("images");
    Path vms = base.resolve("vms");
    String imagesPool = "wirt-test-images-" + id;
    String vmsPool = "wirt-test-vms-" + id;
    List<String> domains = new ArrayList<>();
    Files.createDirectories(base);
    // qemu runs as libvirt-qemu: it must be able to walk to the images.
    Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
    String imagesConfig = """
        "images": {"pool": "%s", "directory": "%s", "vmPool": "%s", "vmDirectory": "%s",
                   "domainType": "qemu"}
        """.formatted(imagesPool, images, vmsPool, vms);
    Path config = base.resolve("wirt.json");
    Files.writeString(config, "{\"libvirtUri\": \"" + Libvirtd.URI + "\", " + imagesConfig + "}");
    WirtdFixture h = new WirtdFixture(Libvirtd.URI, imagesConfig + ", \"quotas\": {\"default\": "
        + "{\"vms\": 4, \"vcpus\": 4, \"memoryMiB\": 256, \"diskGiB\": 10}},");
    try {
      Path source = base.resolve("tiny.qcow2");
      RealUsers.root("qemu-img", "create", "-q", "-f", "qcow2", source.toString(), "64M");
      RealUsers.root("qemu-io", "-f", "qcow2", "-c", "write -P 0xab 0 8M", source.toString());
      Path description = base.resolve("tiny.json");
      Files.writeString(description, """
          {"vcpus": 1, "memoryMiB": 128, "diskGiB": 1, "osVariant": "linux", "cloudInit": true,
           "kernel": "%s", "initrd": "%s", "cmdline": "console=ttyS0 quiet"}
          """.formatted(TestGuest.kernel(), TestGuest.initrd()));
      assertEquals("imported tiny (qcow2) as " + images.resolve("tiny.qcow2") + "\n",
          wirtctl(ExitCode.OK, config, "image", "import", "tiny", source.toString(),
              "--description", description.toString()));
      Path golden = images.resolve("tiny.qcow2");
      assertEquals("r--r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(golden)));
      String checksum = ProvisionTest.sha256(golden);
      assertTrue(RealUsers.root("virsh", "-c", Libvirtd.URI, "pool-info", imagesPool).stdout()
          .matches("(?s).*Autostart:\\s+yes.*"));
      assertTrue(wirtctl(ExitCode.OK, config, "image", "list").contains("tiny "));

      User alice = h.user();
      h.start();
      String domain = alice.name() + "-web";
      domains.add(domain);
      domains.add(alice.name() + "-big");
      long written = System.nanoTime();
      h.command(alice, "web", "create", "{\"image\": \"tiny\", \"sshKeys\": [\"ssh-ed25519 "
          + "AAAAC3NzaC1lZDI1NTE5AAAAIGtlc3Q alice@laptop\"]}");
      Await.until("domain " + domain + " defined", () -> domainExists(domain));
      long definedMs = (System.nanoTime() - written) / 1_000_000;
      JsonNode created = h.awaitHistory(alice, 1);
      assertEquals("ok", created.get("result").asText(), created.toString());
      System.out.println("provision-e2e: create file written -> domain defined in " + definedMs
          + " ms (including runuser); wirtd's own durationMs=" + created.get("durationMs").asLong());
      Path overlay = vms.resolve(domain + ".qcow2");
      String info = RealUsers.root("qemu-img", "info", "-U", overlay.toString()).stdout();
      assertTrue(info.contains("backing file: " + golden), info);
      assertTrue(info.contains("virtual size: 1 GiB"), info);

      h.touch(alice, "web", "start");
      h.awaitState(alice, "web", "running");
      String refused = wirtctlFails(config, "image", "remove", "tiny");
      assertEquals("wirtctl image: image 'tiny' is the backing file of " + domain + ".qcow2; "
          + "delete those VMs or consolidate them first\n", refused);

      h.command(alice, "web", "config", "{\"vcpus\": 2}");
      assertEquals(domain + ": 2 vCPUs and 128 MiB from its next boot",
          h.awaitHistory(alice, 3).get("message").asText());
      assertTrue(RealUsers.root("virsh", "-c", Libvirtd.URI, "dumpxml", "--inactive", domain)
          .stdout().contains(">2</vcpu>"));
      assertTrue(RealUsers.root("virsh", "-c", Libvirtd.URI, "dumpxml", domain)
          .stdout().contains(">1</vcpu>"));

      h.command(alice, "big", "create", "{\"image\": \"tiny\", \"memoryMiB\": 192}");
      assertEquals("ok", h.awaitHistory(alice, 4).get("result").asText());
      h.touch(alice, "big", "start");
      JsonNode overQuota = h.awaitHistory(alice, 5);
      assertEquals("rejected", overQuota.get("result").asText());
      assertTrue(overQuota.get("message").asText().contains("quota exceeded: memory: 128 MiB running "
          + "+ 192 MiB asked > 256 MiB allowed"), overQuota.get("message").asText());

      h.touch(alice, "web", "destroy");
      h.awaitState(alice, "web", "shutoff");
      h.command(alice, "web", "snapshot", "clean");
      JsonNode snapshot = h.awaitHistory(alice, 7);
      assertEquals("took snapshot 'clean' of " + domain, snapshot.get("message").asText(),
          snapshot.toString());
      assertTrue(RealUsers.root("qemu-img", "snapshot", "-U", "-l", overlay.toString()).stdout()
          .contains("clean"));
      h.command(alice, "web", "revert", "clean");
      JsonNode reverted = h.awaitHistory(alice, 8);
      assertEquals("reverted " + domain + " to snapshot 'clean'", reverted.get("message").asText(),
          reverted.toString());
      h.touch(alice, "web", "consolidate");
      assertTrue(h.awaitHistory(alice, 9).get("message").asText().contains("VM 'web' has snapshots "
          + "(clean), which would lose what they share with the image"));
      h.command(alice, "web", "snapshot-delete", "clean");
      assertEquals("ok", h.awaitHistory(alice, 10).get("result").asText());
      h.touch(alice, "web", "consolidate");
      JsonNode consolidated = h.awaitHistory(alice, 11);
      assertEquals("consolidated " + domain + ": its disk no longer has a backing file",
          consolidated.get("message").asText(), consolidated.toString());
      String flat = RealUsers.root("qemu-img", "info", "-U", overlay.toString()).stdout();
      assertFalse(flat.contains("backing file"), flat);
      RealUsers.root("qemu-io", "-f", "qcow2", "-c", "read -P 0xab 0 8M", overlay.toString());
      assertFalse(h.status(alice, "web").has("operation"));
      h.touch(alice, "web", "delete");
      JsonNode deleted = h.awaitHistory(alice, 12);
      assertEquals("deleted " + domain + " and " + domain + ".qcow2, " + domain + "-seed.iso",
          deleted.get("message").asText());
      assertFalse(domainExists(domain));
      assertFalse(Files.exists(overlay));
      assertFalse(Files.exists(vms.resolve(domain + "-seed.iso")));
      assertEquals(checksum, ProvisionTest.sha256(golden));

      h.touch(alice, "big", "delete");
      assertEquals("ok", h.awaitHistory(alice, 13).get("result").asText());

      // Again into the directory wirtd already watches, so that the measure is wirt's own work,
      // not the settling of a file that appeared in a directory nobody watched yet.
      written = System.nanoTime();
      h.command(alice, "web", "create", "{\"image\": \"tiny\", \"sshKeys\": []}");
      Await.until("domain " + domain + " defined again", () -> domainExists(domain));
      definedMs = (System.nanoTime() - written) / 1_000_000;
      JsonNode again = h.awaitHistory(alice, 14);
      assertEquals("ok", again.get("result").asText(), again.toString());
      System.out.println("provision-e2e: create in a watched directory: file written -> domain "
          + "defined in " + definedMs + " ms (including runuser and virsh polling); wirtd's own "
          + "durationMs=" + again.get("durationMs").asLong());
      h.touch(alice, "web", "delete");
      assertEquals("ok", h.awaitHistory(alice, 15).get("result").asText());
      assertEquals("removed image tiny\n", wirtctl(ExitCode.OK, config, "image", "remove", "tiny"));
      assertFalse(Files.exists(golden));
    } finally {
      try {
        h.close();
      } finally {
        for (String d : domains) {
          RealUsers.attemptAsRoot("virsh", "-c", Libvirtd.URI, "destroy", d);
          RealUsers.attemptAsRoot("virsh", "-c", Libvirtd.URI, "undefine", "--nvram", d);
        }
        for (String pool : List.of(imagesPool, vmsPool)) {
          RealUsers.attemptAsRoot("virsh", "-c", Libvirtd.URI, "pool-destroy", pool);
          RealUsers.attemptAsRoot("virsh", "-c", Libvirtd.URI, "pool-undefine", pool);
        }
        RealUsers.root("rm", "-rf", base.toString());
      }
    }
  }

  private static boolean domainExists(String name) {
    try {
      return RealUsers.attemptAsRoot("virsh", "-c", Libvirtd.URI, "domid", name).code() == 0;
    } catch (Exception e) {
      return false;
    }
  }

  private static String wirtctl(ExitCode expected, Path config, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    List<String> all = new ArrayList<>(List.of("--config", config.toString()));
    all.addAll(List.of(args));
    ExitCode code = WirtctlCommand.run(Caller.root(Nss.system()), new PrintWriter(out, true),
        new PrintWriter(err, true),
        all.toArray(String[]::new));
    assertEquals(expected, code, "wirtctl " + all + ": " + out + err);
    return out.toString();
  }

  private static String wirtctlFails(Path config, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    List<String> all = new ArrayList<>(List.of("--config", config.toString()));
    all.addAll(List.of(args));
    ExitCode code = WirtctlCommand.run(Caller.root(Nss.system()), new PrintWriter(out, true),
        new PrintWriter(err, true),
        all.toArray(String[]::new));
    assertEquals(ExitCode.FAILED, code, "wirtctl " + all + ": " + out + err);
    return err.toString();
  }
}
