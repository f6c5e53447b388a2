package org.wirt.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HostNamesTest {

  @ParameterizedTest
  @ValueSource(strings = {"web", "a", "0", "web-1", "x1y2", "a-b-c",
      "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabc"})
  void acceptsLowerCaseDnsLabels(String name) {
    assertTrue(HostNames.isLabel(name), name);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "-web", "web-", "Web", "WEB", "web.lab", "web_1", "wéb", "web ",
      "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcd", "..", "web\n", "*"})
  void refusesEverythingElse(String name) {
    assertFalse(HostNames.isLabel(name), name);
  }

  @Test
  void zonesAreLabelsJoinedByDots() {
    assertTrue(HostNames.isZone("lab.example.org"));
    assertTrue(HostNames.isZone("lab"));
    assertFalse(HostNames.isZone("lab..org"));
    assertFalse(HostNames.isZone(".lab"));
    assertFalse(HostNames.isZone("Lab.org"));
    assertFalse(HostNames.isZone(""));
    assertFalse(HostNames.isZone("a".repeat(50) + "." + "b".repeat(50) + "." + "c".repeat(50)
        + "." + "d".repeat(50)));
  }

  @Test
  void refusalNamesTheRuleAndHintsAtTheSpelling() {
    String rule = "not a valid host name; a host name is one DNS label: 1 to 63 of a-z, 0-9 and"
        + " '-', not starting or ending with '-', in lower case (the zone lab.example.org is"
        + " added)";
    assertEquals(rule + "; write it as web", HostNames.problem("Web", "lab.example.org"));
    assertEquals(rule + "; for web.lab.example.org write the directory command/domain/web/",
        HostNames.problem("web.lab.example.org", "lab.example.org"));
    assertEquals(rule, HostNames.problem("we_b", "lab.example.org"));
  }

  @Test
  void fqdnIsTheLabelUnderTheZone() {
    assertEquals("web.lab.example.org", HostNames.fqdn("web", "lab.example.org"));
    assertThrows(IllegalArgumentException.class, () -> HostNames.fqdn("a<b", "lab"));
  }
}
