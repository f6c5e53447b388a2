package org.wirt.virconsole;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.wirt.testing.Await;
import org.wirt.testing.Libvirtd;
import org.wirt.testing.RealUsers;
import org.wirt.testing.TestGuest;

/**
 * The console stream on the real libvirtd and QEMU: the test guest's shell on its serial console
 * answers a command typed through the stream, a second console is refused while the first is
 * open (unless forced), and libvirt's {@code <log>} of the serial holds the boot.
 */
@Tag("e2e")
class ConsoleStreamE2ETest {
  /** How long the guest may take to boot to its shell under QEMU's emulation. */
  private static final Duration BOOT = Duration.ofSeconds(60);

  @Test
  void typesIntoTheGuestShellAndRefusesASecondConsole() throws Exception {
    try (Guest guest = Guest.start()) {
      UUID uuid = guest.uuid();
      try (ConsoleStream console = ConsoleStream.open(Libvirtd.URI, uuid, false)) {
        Reader reader = new Reader(console);
        reader.start();
        reader.await("wirt-test-guest: shell on ttyS0");
        byte[] typed = "echo wirt-$((6*7))\n".getBytes(StandardCharsets.US_ASCII);
        console.write(typed, typed.length);
        reader.await("wirt-42");
        IOException second = assertThrows(IOException.class,
            () -> ConsoleStream.open(Libvirtd.URI, uuid, false));
        assertTrue(second.getMessage().startsWith("libvirt: cannot open the console: "),
            second.getMessage());
        console.abort();
        reader.join(10_000);
        assertEquals(false, reader.isAlive());
      }
      assertTrue(Files.readString(guest.log()).contains(TestGuest.READY));
    }
  }

  /**
   * libvirtd going away ends an open console with libvirt's error, at once rather than at the next
   * keystroke, and once libvirtd is back a new console reaches the same guest, still running.
   */
  @Test
  void aLibvirtdRestartEndsTheConsoleWithItsErrorAndANewOneWorks() throws Exception {
    try (Guest guest = Guest.start()) {
      UUID uuid = guest.uuid();
      try (ConsoleStream console = ConsoleStream.open(Libvirtd.URI, uuid, false)) {
        Reader reader = new Reader(console);
        reader.start();
        reader.await("wirt-test-guest: shell on ttyS0");
        RealUsers.root("pkill", "-TERM", "-x", "libvirtd");
        try {
          reader.join(30_000);
          assertEquals(false, reader.isAlive(), "the read still waits: " + reader.text());
          assertTrue(reader.text().contains("[read failed: libvirt: cannot read the console: "),
              reader.text());
        } finally {
          RealUsers.root("libvirtd", "-d");
        }
      }
      ConsoleStream again = Await.value("a console once libvirtd is back", BOOT,
          () -> ConsoleStream.open(Libvirtd.URI, uuid, false), c -> true);
      try (ConsoleStream console = again) {
        Reader reader = new Reader(console);
        reader.start();
        byte[] typed = "echo wirt-$((6*8))\n".getBytes(StandardCharsets.US_ASCII);
        console.write(typed, typed.length);
        reader.await("wirt-48");
        console.abort();
        reader.join(10_000);
      }
    }
  }

  /** The test guest, defined and started with a pty console libvirt logs; gone at close. */
  private record Guest(String name, Path log, Path xml, UUID uuid) implements AutoCloseable {
    static Guest start() throws IOException {
      Libvirtd.connect().close();
      String name = "wirt-cstream-" + UUID.randomUUID().toString().substring(0, 8);
      Path log = TestGuest.SERIAL_DIR.resolve(name + ".console.log");
      Path xml = Files.createTempFile("wirt-cstream", ".xml");
      Files.writeString(xml, TestGuest.consoleDomainXml(name, log, Optional.empty()));
      Guest defined = new Guest(name, log, xml, null);
      try {
        RealUsers.root("virsh", "-c", Libvirtd.URI, "define", xml.toString());
        RealUsers.root("virsh", "-c", Libvirtd.URI, "start", name);
        return new Guest(name, log, xml, UUID.fromString(RealUsers.root("virsh", "-c",
            Libvirtd.URI, "domuuid", name).stdout().strip()));
      } catch (IOException | RuntimeException | AssertionError e) {
        defined.close();
        throw e;
      }
    }

    @Override
    public void close() throws IOException {
      RealUsers.attemptAsRoot("virsh", "-c", Libvirtd.URI, "destroy", name);
      RealUsers.attemptAsRoot("virsh", "-c", Libvirtd.URI, "undefine", name);
      Files.deleteIfExists(xml);
      Files.deleteIfExists(log);
    }
  }

  /** Collects what the console says, on a thread of its own. */
  private static final class Reader extends Thread {
    private final ConsoleStream console;
    private final ByteArrayOutputStream seen = new ByteArrayOutputStream();

    Reader(ConsoleStream console) {
      this.console = console;
      setDaemon(true);
    }

    @Override
    public void run() {
      byte[] buffer = new byte[4096];
      try {
        for (int n; (n = console.read(buffer)) > 0; ) {
          synchronized (seen) {
            seen.write(buffer, 0, n);
          }
        }
      } catch (IOException e) {
        synchronized (seen) {
          seen.writeBytes(("\n[read failed: " + e.getMessage() + "]").getBytes());
        }
      }
    }

    String text() {
      synchronized (seen) {
        return seen.toString(StandardCharsets.UTF_8);
      }
    }

    void await(String text) throws InterruptedException {
      Await.until("the console says '" + text + "'", BOOT, () -> "it said: " + text(),
          () -> text().contains(text));
    }
  }
}
