package org.wirt.hostname;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClaimsTest {
  @TempDir Path state;

  private static Claims.Claim claim(String label, String user, int uid) {
    return new Claims.Claim(label + ".lab", label, user, uid, "web", true, null, "waiting");
  }

  private static Claims.Taken taken(String label) {
    return new Claims.Taken(0, "alice", 1001, label, "start", "t1", "start.t1", 5, 77,
        "2026-12-04T00:00:00Z", "ok", "publishing " + label + ".lab");
  }

  @Test
  void anEmptyStateDirHasNoClaims() throws IOException {
    Claims c = Claims.open(state);
    assertEquals(List.of(), c.all());
    assertEquals(Optional.empty(), c.get("web.lab"));
  }

  @Test
  void claimsAndTakenCommandsSurviveAReopen() throws IOException {
    Claims c = Claims.open(state);
    Claims.Taken t = c.take("web.lab", claim("web", "alice", 1001), taken("web"));
    c.set("db.lab", claim("db", "alice", 1001));
    c.set("api.lab", claim("api", "bob", 1002).withPublication("10.0.0.5", null));

    Claims again = Claims.open(state);
    assertEquals(c.all(), again.all());
    assertEquals(2, again.heldBy("alice", 1001));
    assertEquals(0, again.heldBy("alice", 1002));
    assertEquals(Optional.of("10.0.0.5"), again.get("api.lab").map(Claims.Claim::address));
    assertEquals(List.of(t), again.unrecorded());

    again.recorded(t.id());
    assertEquals(List.of(), Claims.open(state).unrecorded());
    Claims.Taken next = again.take("web.lab", null, taken("web"));
    assertTrue(next.id() > t.id(), "ids are not reused");
    assertEquals(Optional.empty(), Claims.open(state).get("web.lab"));
  }

  @Test
  void theFileIsRootsOwnAndReplacedWhole() throws IOException {
    Claims c = Claims.open(state);
    c.set("web.lab", claim("web", "alice", 1001));
    Path file = state.resolve(Claims.FILE);
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    try (var names = Files.list(state)) {
      assertEquals(List.of(file), names.toList());
    }
  }

  @Test
  void aFailedWriteChangesNothingInMemory() throws IOException {
    Claims c = Claims.open(state);
    c.set("web.lab", claim("web", "alice", 1001));
    Path blocked = state.resolve("." + Claims.FILE + ".tmp");
    Files.createDirectory(blocked);
    Files.writeString(blocked.resolve("x"), "x");
    assertThrows(IOException.class, () -> c.set("db.lab", claim("db", "alice", 1001)));
    assertEquals(Optional.empty(), c.get("db.lab"));
    assertEquals(1, c.heldBy("alice", 1001));
  }

  @Test
  void aCorruptRegistryStopsWithAMessage() throws IOException {
    Files.writeString(state.resolve(Claims.FILE), "{not json");
    IOException e = assertThrows(IOException.class, () -> Claims.open(state));
    assertTrue(e.getMessage().startsWith(state.resolve(Claims.FILE) + " is not valid JSON"),
        e.getMessage());
  }
}
