package org.wirt.provision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.wirt.config.ImagesConfig;
import org.wirt.hypervisor.LibvirtHypervisor;
import org.wirt.hypervisor.Storage;
import org.wirt.tree.Identity;

/** Golden images: real files, libvirt's test driver for the pools. */
class ImageStoreTest {
  private static final Identity ROOT = new Identity("root", 0, 0, new int[] {0});
  @TempDir Path dir;
  private LibvirtHypervisor libvirt;
  private Storage storage;
  private ImageStore store;
  private ImagesConfig config;

  @BeforeEach
  void open() throws Exception {
    libvirt = LibvirtHypervisor.open("test:///default");
    storage = libvirt.storage();
    String id = dir.getFileName().toString();
    config = new ImagesConfig("i-" + id, dir.resolve("images"), "v-" + id, dir.resolve("vms"),
        "test", List.of());
    store = new ImageStore(config);
  }

  @AfterEach
  void close() {
    libvirt.close();
  }

  private Path qcow2(String name, String... extra) throws Exception {
    Path file = dir.resolve(name);
    List<String> cmd = new java.util.ArrayList<>(List.of("qemu-img", "create", "-q", "-f", "qcow2"));
    cmd.addAll(List.of(extra));
    cmd.addAll(List.of(file.toString(), "64M"));
    assertEquals(0, new ProcessBuilder(cmd).inheritIO().start().waitFor());
    return file;
  }

  @Test
  void importsAReadOnlyCopyWithItsDescriptionAndListsIt() throws Exception {
    Path source = qcow2("src.qcow2");
    Path description = dir.resolve("d.json");
    Files.writeString(description, "{\"vcpus\": 2, \"memoryMiB\": 512, \"osVariant\": \"debian12\"}");
    Image image = store.importImage("deb", ROOT, source, description, storage);
    assertEquals(config.directory().resolve("deb.qcow2"), image.file());
    assertEquals("r--r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(image.file())));
    assertEquals(2, image.vcpus());
    assertEquals(1, image.diskGiB());
    assertTrue(image.cloudInit());
    assertEquals(List.of("deb"), store.list().stream().map(Image::name).toList());
    assertEquals(image, store.find("deb").orElseThrow());
  }

  @Test
  void refusesBadNamesDuplicatesChainedImagesAndUnknownDescriptionKeys() throws Exception {
    Path source = qcow2("src.qcow2");
    assertEquals("image name '../x' is invalid: use letters, digits, '_' and '-', up to 64, "
        + "starting with a letter or digit",
        assertThrows(IllegalArgumentException.class,
            () -> store.importImage("../x", ROOT, source, null, storage)).getMessage());
    store.importImage("a", ROOT, source, null, storage);
    assertEquals("image 'a' exists already; remove it first with `wirtctl image remove a` or "
        + "choose another name", assertThrows(IllegalArgumentException.class,
            () -> store.importImage("a", ROOT, source, null, storage)).getMessage());
    Path chained = qcow2("chained.qcow2", "-F", "qcow2", "-b", source.toString());
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> store.importImage("b", ROOT, chained, null, storage)).getMessage()
        .startsWith(chained + " has a backing file; a golden image must be one self-contained"));
    Path description = dir.resolve("d.json");
    Files.writeString(description, "{\"cpus\": 2}");
    assertEquals(description + ": unknown key 'cpus'; known keys: cloudInit, cmdline, diskGiB, "
        + "initrd, kernel, memoryMiB, osVariant, vcpus", assertThrows(IllegalArgumentException.class,
            () -> store.importImage("c", ROOT, source, description, storage)).getMessage());
    assertFalse(Files.exists(config.directory().resolve("c.qcow2")));
  }

  @Test
  void removeIsRefusedWhileAnOverlayUsesTheImage() throws Exception {
    Image image = store.importImage("a", ROOT, qcow2("src.qcow2"), null, storage);
    storage.ensureDirPool(config.vmPool(), config.vmDirectory());
    storage.createOverlay(config.vmPool(), "alice-web.qcow2", image.file(), "qcow2", 1L << 30);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> store.remove("a", storage));
    assertEquals("image 'a' is the backing file of alice-web.qcow2; delete those VMs or "
        + "consolidate them first", e.getMessage());
    assertTrue(Files.exists(image.file()));
    storage.deleteVolume(config.vmDirectory().resolve("alice-web.qcow2"));
    store.remove("a", storage);
    assertFalse(Files.exists(image.file()));
    assertEquals(List.of(), store.list());
  }
}
