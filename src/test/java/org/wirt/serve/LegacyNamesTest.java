package org.wirt.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.wirt.tree.EntryName;

class LegacyNamesTest {
  @ParameterizedTest
  @ValueSource(strings = {"web", "w", "a1", "web_2", "my-machine", "0", "x23456789012345678901234567890123456789012345678"})
  void aDomDirectoryIsTheVmAfterItsPrefix(String vm) {
    assertEquals(Optional.of(vm), LegacyNames.vm(EntryName.of("dom-" + vm)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"dom-", "dom--web", "dom-.web", "dom-_web", "dom-web.bak", "dom-we b",
      "dom-x234567890123456789012345678901234567890123456789", "Dom-web", "web", "history", "log",
      "domweb", "dom-ü"})
  void namesThatAreNotDomAndAValidVmAreNotServed(String name) {
    assertEquals(Optional.empty(), LegacyNames.vm(EntryName.of(name)));
  }

  @Test
  void aNameThatIsNotUtf8IsNotServed() {
    byte[] raw = "dom-web".getBytes(StandardCharsets.US_ASCII);
    raw[5] = (byte) 0xff;
    assertEquals(Optional.empty(), LegacyNames.vm(new EntryName(raw)));
  }

  @Test
  void theProblemNamesTheEntryAndTheRule() {
    assertEquals("'dom-web.bak' is not dom-<vm> with a valid VM name (a letter or digit followed by"
        + " up to 47 letters, digits, '_' or '-'); not served",
        LegacyNames.problem(EntryName.of("dom-web.bak")));
  }
}
