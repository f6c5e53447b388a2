package org.wirt.provision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.wirt.config.ImagesConfig;
import org.wirt.hypervisor.LibvirtHypervisor;
import org.wirt.hypervisor.Storage;
import org.wirt.testing.RealUsers;
import org.wirt.testing.RealUsers.User;
import org.wirt.testing.TestGuest;

/**
 * {@code wirtctl image import} attacked by the admin who runs it (SPEC 8): the import reads as a
 * real non-root user, "the invoking admin", and each file they name that they could not read, or
 * that is not one plain self-contained image, is refused with nothing left in the pool.
 */
@Tag("root")
class ImageImportAttackTest {
  @TempDir Path dir;
  private RealUsers users;
  private User admin;
  private LibvirtHypervisor libvirt;
  private Storage storage;
  private ImagesConfig config;

  @BeforeEach
  void setUp() throws Exception {
    users = RealUsers.create();
    admin = users.createUser();
    libvirt = LibvirtHypervisor.open("test:///default");
    storage = libvirt.storage();
    String id = dir.getFileName().toString();
    config = new ImagesConfig("i-" + id, dir.resolve("images"), "v-" + id, dir.resolve("vms"),
        "test", List.of());
  }

  @AfterEach
  void tearDown() throws Exception {
    libvirt.close();
    users.close();
  }

  private Path mine(String name) {
    return admin.home().resolve(name);
  }

  /** A qcow2 the admin makes in their home, as themselves. */
  private Path qcow2(String name, String... options) throws IOException {
    List<String> cmd = new java.util.ArrayList<>(List.of("qemu-img", "create", "-q", "-f", "qcow2"));
    cmd.addAll(List.of(options));
    cmd.addAll(List.of(mine(name).toString(), "64M"));
    users.run(admin, cmd.toArray(String[]::new));
    return mine(name);
  }

  private String refused(Path source) {
    return refused(new ImageStore(config), source, null);
  }

  private String refused(ImageStore store, Path source, Path description) {
    Exception e = assertThrows(Exception.class,
        () -> store.importImage("stolen", admin.identity(), source, description, storage));
    assertTrue(e instanceof IOException || e instanceof IllegalArgumentException, e.toString());
    assertPoolEmpty();
    return e.getMessage();
  }

  private void assertPoolEmpty() {
    if (Files.isDirectory(config.directory())) {
      try (Stream<Path> files = Files.list(config.directory())) {
        assertEquals(List.of(), files.toList(), "what the refused import left in the pool");
      } catch (IOException e) {
        throw new AssertionError(e);
      }
    }
  }

  @Test
  void importsAFileOfTheAdminsAsThemselves() throws Exception {
    Path source = qcow2("ok.qcow2");
    Image image = new ImageStore(config).importImage("ok", admin.identity(), source, null, storage);
    assertArrayEquals(Files.readAllBytes(source), Files.readAllBytes(image.file()));
    assertEquals(0, (int) Files.getAttribute(image.file(), "unix:uid"));
    assertEquals("r--r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(image.file())));
  }

  @Test
  void refusesAFileTheAdminCannotRead() throws Exception {
    assertEquals("/etc/shadow cannot be read by " + admin.name() + " (uid " + admin.uid() + ", open "
        + "/etc/shadow: EACCES (Permission denied)); wirtctl reads the files you name with your own "
        + "identity, not root's: give a file you can read", refused(Path.of("/etc/shadow")));
    // A root-only copy in the admin's own home: the directory is theirs, the file is not.
    Path secret = mine("secret.qcow2");
    RealUsers.root("qemu-img", "create", "-q", "-f", "qcow2", secret.toString(), "64M");
    RealUsers.root("chmod", "0600", secret.toString());
    assertTrue(refused(secret).startsWith(secret + " cannot be read by " + admin.name()));
  }

  @Test
  void refusesASymlinkEvenToAFileTheAdminMayRead() throws Exception {
    qcow2("real.qcow2");
    users.run(admin, "ln", "-s", mine("real.qcow2").toString(), mine("link.qcow2").toString());
    assertEquals(mine("link.qcow2") + " is a symbolic link; wirtctl follows no links in a path you "
        + "give: give the file it points to (realpath " + mine("link.qcow2") + ")",
        refused(mine("link.qcow2")));
    users.run(admin, "ln", "-s", "/etc/shadow", mine("shadow").toString());
    assertTrue(refused(mine("shadow")).startsWith(mine("shadow") + " is a symbolic link"));
    // A link among the directories is not followed either.
    users.run(admin, "ln", "-s", admin.home().toString(), mine("again").toString());
    assertTrue(refused(mine("again").resolve("real.qcow2"))
        .startsWith(mine("again") + " is a symbolic link"));
  }

  @Test
  void refusesAFifoWithoutBlocking() throws Exception {
    users.run(admin, "mkfifo", mine("fifo").toString());
    assertEquals(mine("fifo") + " is a FIFO; an image must be a regular file", refused(mine("fifo")));
  }

  @Test
  void refusesAHardLink() throws Exception {
    qcow2("one.qcow2");
    users.run(admin, "ln", mine("one.qcow2").toString(), mine("two.qcow2").toString());
    assertEquals(mine("two.qcow2") + " has 2 hard links; an image must be a file with exactly one "
        + "(copy it: cp " + mine("two.qcow2") + " new-file)", refused(mine("two.qcow2")));
  }

  @Test
  void refusesADeviceNode() throws Exception {
    // What /dev/null is (1, 3), readable by everyone, in the admin's home.
    RealUsers.root("mknod", "-m", "0666", mine("null").toString(), "c", "1", "3");
    assertEquals(mine("null") + " is a character device; an image must be a regular file",
        refused(mine("null")));
  }

  @Test
  void refusesAQcow2WithAnExternalDataFile() throws Exception {
    Path image = qcow2("data.qcow2", "-o", "data_file=" + mine("data.raw"));
    assertEquals(image + " has an external data file; " + QemuImg.SELF_CONTAINED, refused(image));
  }

  @Test
  void refusesAQcow2WithABackingFile() throws Exception {
    qcow2("base.qcow2");
    Path image = qcow2("top.qcow2", "-F", "qcow2", "-b", mine("base.qcow2").toString());
    assertEquals(image + " has a backing file; " + QemuImg.SELF_CONTAINED, refused(image));
  }

  @Test
  void refusesAnotherFormatWithoutLettingQemuImgProbeIt() throws Exception {
    // A VMDK descriptor names its extents anywhere; qemu-img info would open them as root.
    users.sh(admin, "printf '# Disk DescriptorFile\\nRW 8 FLAT \"/etc/shadow\" 0\\n' > "
        + mine("x.vmdk"));
    assertEquals(mine("x.vmdk") + " is a vmdk image; wirt takes qcow2 or raw (convert with "
        + "`qemu-img convert -O qcow2 " + mine("x.vmdk") + " image.qcow2`)", refused(mine("x.vmdk")));
  }

  @Test
  void aFileRenamedOverTheSourceAfterItIsOpenedIsNotWhatIsImported() throws Exception {
    Path source = qcow2("src.qcow2");
    byte[] original = Files.readAllBytes(source);
    qcow2("base.qcow2");
    qcow2("evil.qcow2", "-F", "qcow2", "-b", mine("base.qcow2").toString());
    ImageStore store = new ImageStore(config,
        () -> users.run(admin, "mv", mine("evil.qcow2").toString(), source.toString()));
    Image image = store.importImage("swapped", admin.identity(), source, null, storage);
    assertArrayEquals(original, Files.readAllBytes(image.file()));
    assertFalse(Files.exists(mine("evil.qcow2")), "the swap happened");
  }

  @Test
  void aBackingFileWrittenIntoTheOpenSourceIsFoundOnTheCopy() throws Exception {
    Path source = qcow2("src.qcow2");
    qcow2("base.qcow2");
    qcow2("evil.qcow2", "-F", "qcow2", "-b", mine("base.qcow2").toString());
    Object inode = Files.getAttribute(source, "unix:ino");
    // cp writes into the same inode, the one wirtctl holds open: the check must see it.
    ImageStore store = new ImageStore(config,
        () -> users.run(admin, "cp", mine("evil.qcow2").toString(), source.toString()));
    assertEquals(source + " has a backing file; " + QemuImg.SELF_CONTAINED,
        refused(store, source, null));
    assertEquals(inode, Files.getAttribute(source, "unix:ino"));
  }

  @Test
  void theDescriptionIsReadAsTheAdminAndBounded() throws Exception {
    Path source = qcow2("src.qcow2");
    ImageStore store = new ImageStore(config);
    assertTrue(refused(store, source, Path.of("/etc/shadow"))
        .startsWith("/etc/shadow cannot be read by " + admin.name()));
    users.sh(admin, "head -c 70000 /dev/zero | tr '\\0' ' ' > " + mine("big.json"));
    assertEquals(mine("big.json") + " is 70000 bytes; a description may have at most 65536",
        refused(store, source, mine("big.json")));
    users.run(admin, "mkfifo", mine("d.fifo").toString());
    assertEquals(mine("d.fifo") + " is a FIFO; a description must be a regular file",
        refused(store, source, mine("d.fifo")));
  }

  @Test
  void aKernelNamedInTheDescriptionIsOneTheAdminMayReadInDirectoriesOnlyRootMayChange() throws Exception {
    Path source = qcow2("src.qcow2");
    ImageStore store = new ImageStore(config);
    Path description = mine("d.json");
    users.sh(admin, "printf '{\"kernel\": \"/etc/shadow\"}' > " + description);
    assertTrue(refused(store, source, description).startsWith(description + ": 'kernel': "
        + "/etc/shadow cannot be read by " + admin.name()));
    Path own = mine("vmlinuz");
    users.run(admin, "cp", TestGuest.kernel().toString(), own.toString());
    users.sh(admin, "printf '{\"kernel\": \"" + own + "\"}' > " + description);
    assertEquals(description + ": 'kernel': " + admin.home() + " is owned by uid " + admin.uid()
        + ", not by root; wirtctl uses only directories that root alone may change (chown root "
        + admin.home() + ")", refused(store, source, description));
    users.sh(admin, "printf '{\"kernel\": \"" + TestGuest.kernel() + "\", \"initrd\": \""
        + TestGuest.initrd() + "\"}' > " + description);
    Image image = store.importImage("direct", admin.identity(), source, description, storage);
    assertEquals(java.util.Optional.of(TestGuest.kernel()), image.kernel());
  }

  @Test
  void refusesAnImagesDirectoryOthersMayChange() throws Exception {
    Path source = qcow2("src.qcow2");
    Path theirs = mine("pool");
    users.run(admin, "mkdir", theirs.toString());
    ImagesConfig inHome = new ImagesConfig(config.pool() + "-home", theirs, config.vmPool(),
        config.vmDirectory(), "test", List.of());
    IOException e = assertThrows(IOException.class, () -> new ImageStore(inHome)
        .importImage("x", admin.identity(), source, null, storage));
    assertEquals(admin.home() + " is owned by uid " + admin.uid() + ", not by root; wirtctl uses "
        + "only directories that root alone may change (chown root " + admin.home() + ")",
        e.getMessage());
    try (Stream<Path> files = Files.list(theirs)) {
      assertEquals(List.of(), files.toList());
    }
    Path open = Files.createDirectories(config.directory());
    Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxr-x"));
    assertEquals(open + " is writable by its group (mode 0775); wirtctl uses only directories "
        + "that root alone may change (chmod go-w " + open + ")", refused(source));
  }
}
