package org.wirt.hypervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class OwnerMetadataTest {
  private static final String NS = "xmlns:wirt=\"https://wirt.dev/xmlns/owner/1\"";

  @Test
  void writesOwnerElementForLibvirt() {
    assertEquals(
        "<owner user=\"alice\" uid=\"1001\" vm=\"web\"/>",
        OwnerMetadata.toXml(new Owner("alice", 1001, "web")));
  }

  @Test
  void parsesWhatLibvirtHandsBack() {
    assertEquals(
        new Owner("alice", 1001, "web"),
        OwnerMetadata.parse("<wirt:owner " + NS + " user=\"alice\" uid=\"1001\" vm=\"web\"/>"));
  }

  @Test
  void parsesElementWithoutNamespaceAsLibvirtReturnsIt() {
    assertEquals(
        new Owner("alice", 1001, "web"),
        OwnerMetadata.parse("<owner user=\"alice\" uid=\"1001\" vm=\"web\"/>"));
  }

  @Test
  void parsesSssdStyleUserNames() {
    assertEquals(
        new Owner("bob@corp.example", 200001, "db_1"),
        OwnerMetadata.parse(
            "<wirt:owner " + NS + " user=\"bob@corp.example\" uid=\"200001\" vm=\"db_1\"/>"));
  }

  @Test
  void escapesEveryMarkupCharacter() {
    assertEquals("a&amp;b&lt;c&gt;d&quot;e&apos;f&#10;g", OwnerMetadata.escape("a&b<c>d\"e'f\ng"));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "",
      "not xml",
      "<wirt:owner xmlns:wirt=\"https://example.org/other\" user=\"alice\" uid=\"1\" vm=\"w\"/>",
      "<wirt:other " + NS + " user=\"alice\" uid=\"1001\" vm=\"web\"/>",
      "<wirt:owner " + NS + " uid=\"1001\" vm=\"web\"/>",
      "<wirt:owner " + NS + " user=\"alice\" vm=\"web\"/>",
      "<wirt:owner " + NS + " user=\"alice\" uid=\"1001\"/>",
      "<wirt:owner " + NS + " user=\"alice\" uid=\"-1\" vm=\"web\"/>",
      "<wirt:owner " + NS + " user=\"alice\" uid=\"1e3\" vm=\"web\"/>",
      "<wirt:owner " + NS + " user=\"alice\" uid=\"4294967296\" vm=\"web\"/>",
      "<wirt:owner " + NS + " user=\"alice\" uid=\"1001\" vm=\"../etc\"/>",
      "<wirt:owner " + NS + " user=\"al/ice\" uid=\"1001\" vm=\"web\"/>",
      "<wirt:owner " + NS + " user=\"\" uid=\"1001\" vm=\"web\"/>",
      "<wirt:owner " + NS + " user=\"alice\" uid=\"1001\" vm=\"web\" admin=\"yes\"/>",
      "<wirt:owner " + NS + " user=\"alice\" uid=\"1001\" vm=\"web\"><x/></wirt:owner>",
      "<!DOCTYPE x [<!ENTITY e \"alice\">]><wirt:owner " + NS + " user=\"&e;\" uid=\"1\" vm=\"w\"/>",
  })
  void refusesMalformedMetadata(String xml) {
    assertThrows(IllegalArgumentException.class, () -> OwnerMetadata.parse(xml));
  }

  @ParameterizedTest
  @CsvSource(quoteCharacter = '"', value = {
      "al ice, 1, web, invalid user name 'al ice'",
      "alice, -5, web, invalid uid -5",
      "alice, 1, -web, \"invalid vm name '-web': expected [A-Za-z0-9][A-Za-z0-9_-]{0,47}\"",
  })
  void refusesToWriteInvalidOwners(String user, int uid, String vm, String message) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> OwnerMetadata.toXml(new Owner(user, uid, vm)));
    assertEquals(message, e.getMessage());
  }
}
