package org.wirt.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CommandNameTest {

  @ParameterizedTest
  @CsvSource({
      "start, START, ",
      "stop.job-1, STOP, job-1",
      "snapshot-delete, SNAPSHOT_DELETE, ",
      "snapshot-delete.x_Y-9, SNAPSHOT_DELETE, x_Y-9",
      "autostart.A, AUTOSTART, A"})
  void parsesVerbAndTag(String file, Verb verb, String tag) throws Refusal {
    CommandName name = CommandName.parse(file);
    assertEquals(verb, name.verb());
    assertEquals(tag, name.tag());
    assertEquals(file, name.fileName());
  }

  @ParameterizedTest
  @ValueSource(strings = {"Start", "begin", "", "start ", "stop-now", "delete_me"})
  void refusesWhatIsNoVerb(String file) {
    Refusal r = assertThrows(Refusal.class, () -> CommandName.parse(file));
    assertTrue(r.getMessage().contains("is not a verb"), r.getMessage());
    assertTrue(r.getMessage().contains("start, stop, destroy"), r.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"start.", "start.a.b", "start.has space", "stop.é",
      "start.12345678901234567890123456789012345678901234567890123456789012345"})
  void refusesBadTags(String file) {
    Refusal r = assertThrows(Refusal.class, () -> CommandName.parse(file));
    assertTrue(r.getMessage().contains("is not a valid tag"), r.getMessage());
    assertTrue(r.getMessage().contains("1 to 64 letters, digits, '_' or '-'"), r.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"web", "a", "W3b_server-1", "0"})
  void acceptsVmNames(String vm) {
    assertTrue(Names.isVm(vm));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "-web", "_web", "web.1", "we b", "../x", "a/b",
      "a234567890123456789012345678901234567890123456789"})
  void refusesVmNames(String vm) {
    assertEquals(false, Names.isVm(vm));
  }

  @ParameterizedTest
  @ValueSource(strings = {".start", ".start.tmp", "start~", "start.tmp", "start.swp", ".x.swp"})
  void ignoresWritesInProgress(String name) {
    assertTrue(Names.isIgnored(name));
  }

  @ParameterizedTest
  @ValueSource(strings = {"start", "start.tag", "stop.tmpx"})
  void doesNotIgnoreCommands(String name) {
    assertEquals(false, Names.isIgnored(name));
  }

  @org.junit.jupiter.api.Test
  void untaggedHasNoTag() throws Refusal {
    assertNull(CommandName.parse("reboot").tag());
  }
}
