package org.wirt.posix;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SystemdNotifyTest {
  @TempDir Path dir;

  @Test
  void aMessageArrivesAsOneDatagram() throws Exception {
    try (NotifyReceiver systemd = NotifyReceiver.bind(dir.resolve("notify"))) {
      SystemdNotify.send(systemd.path().toString(), "READY=1\nSTATUS=serving 3 users");
      assertEquals(Optional.of("READY=1\nSTATUS=serving 3 users"), systemd.receive(10_000));
    }
  }

  @Test
  void addressesArePathsOrAbstractNames() {
    assertArrayEquals(new byte[] {1, 0, '/', 'x', 0}, SystemdNotify.address("/x"));
    assertArrayEquals(new byte[] {1, 0, 0, 's', 'd'}, SystemdNotify.address("@sd"));
    assertThrows(IllegalArgumentException.class, () -> SystemdNotify.address("relative"));
    assertThrows(IllegalArgumentException.class, () -> SystemdNotify.address("/" + "x".repeat(108)));
  }

  @Test
  void aMissingSocketIsAnErrnoError() {
    ErrnoException e = assertThrows(ErrnoException.class,
        () -> SystemdNotify.send(dir.resolve("absent").toString(), "READY=1"));
    assertEquals(true, e.getMessage().contains("ENOENT"), e.getMessage());
  }
}
