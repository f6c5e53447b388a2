package org.wirt.desired;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MemoryStoreTest {
  @TempDir
  Path state;

  @Test
  void aRestartedWirtdFindsTheOverrideAndTheRefusalOfTheSameContent() {
    new MemoryStore(state).update(1000, "web", "h1",
        m -> m.override("state", "stop").refuse("config", "refused: quota exceeded"));
    Memory again = new MemoryStore(state).of(1000, "web", "h1");
    assertEquals(Map.of("state", "stop"), again.overrides());
    assertEquals(Map.of("config", "refused: quota exceeded"), again.refused());
    assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(
        assertDoesExist(state.resolve("settings/1000"))));
  }

  @Test
  void aNewContentStartsAfresh() {
    MemoryStore store = new MemoryStore(state);
    store.update(1000, "web", "h1", m -> m.override("state", "stop"));
    assertEquals(Memory.empty("h2"), store.of(1000, "web", "h2"));
    assertEquals(Memory.empty("h2"), new MemoryStore(state).of(1000, "web", "h2"));
  }

  @Test
  void theFileGoesWhenThereIsNothingToKeepOrNoSettingsFile() {
    MemoryStore store = new MemoryStore(state);
    Path file = state.resolve("settings/1000/web.json");
    store.update(1000, "web", "h1", Memory::reported);
    assertTrue(Files.exists(file));
    store.update(1000, "web", "h2", m -> m);
    assertFalse(Files.exists(file));
    store.update(1000, "web", "h2", Memory::reported);
    store.forget(1000, "web");
    assertFalse(Files.exists(file));
    assertEquals(Memory.empty("h2"), new MemoryStore(state).of(1000, "web", "h2"));
  }

  @Test
  void anUnreadableFileIsForgottenNotFatal() throws Exception {
    Files.createDirectories(state.resolve("settings/1000"));
    Files.writeString(state.resolve("settings/1000/web.json"), "{not json");
    assertEquals(Memory.empty("h1"), new MemoryStore(state).of(1000, "web", "h1"));
  }

  @Test
  void onlyAVmNameBecomesAFileName() {
    assertThrows(IllegalArgumentException.class,
        () -> new MemoryStore(state).of(1000, "../../etc", "h1"));
  }

  private static java.util.Set<java.nio.file.attribute.PosixFilePermission> assertDoesExist(
      Path dir) {
    assertTrue(Files.isDirectory(dir), dir.toString());
    try {
      return Files.getPosixFilePermissions(dir);
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }
}
