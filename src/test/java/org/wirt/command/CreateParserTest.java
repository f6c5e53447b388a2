package org.wirt.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CreateParserTest {

  private static Command parse(String text) throws Refusal {
    return CommandParser.parse(Verb.CREATE, text.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void takesEveryKnownKey() throws Refusal {
    Command.Create c = (Command.Create) parse("""
        {"image": "debian12", "vcpus": 2, "memoryMiB": 2048, "diskGiB": 20,
         "sshKeys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFoo me@laptop"],
         "autostart": true, "hostname": "web-1"}
        """);
    assertEquals(new Command.Create("debian12", 2, 2048, 20,
        List.of("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFoo me@laptop"), true, "web-1"), c);
  }

  @Test
  void leavesWhatIsNotGivenToTheImage() throws Refusal {
    Command.Create c = (Command.Create) parse("{\"image\": \"tiny\"}");
    assertEquals("tiny", c.image());
    assertNull(c.vcpus());
    assertNull(c.sshKeys());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', textBlock = """
      not json                                  | 'create' content is not valid JSON at line 1, column
      ''                                        | 'create' takes a JSON object like
      [1]                                       | 'create' takes a JSON object like
      {"image": "a", "image": "b"}              | 'create' content is not valid JSON
      {"vcpus": 1}                              | 'create' needs "image"
      {"image": "../etc/passwd"}                | 'create' needs "image": the name of a golden image
      {"image": "a", "colour": "red"}           | 'create' does not know the key 'colour'; known keys: image (required)
      {"image": "a", "vcpus": -1}               | 'create' "vcpus" is '-1'; it must be a whole number from 1 to 256
      {"image": "a", "memoryMiB": 99999999999}  | 'create' "memoryMiB" is '99999999999'; it must be a whole number from 64 to 4194304
      {"image": "a", "diskGiB": 0}              | 'create' "diskGiB" is '0'; it must be a whole number from 1 to 65536
      {"image": "a", "diskGiB": 1.5}            | 'create' "diskGiB" is '1.5'; it must be a whole number
      {"image": "a", "autostart": "yes"}        | 'create' "autostart" is '"yes"'; it must be true or false
      {"image": "a", "sshKeys": "ssh-rsa AAAA"} | 'create' "sshKeys" must be a list
      {"image": "a", "sshKeys": ["rm -rf /"]}   | 'create' "sshKeys" holds '"rm -rf /"', which is not one OpenSSH public key line
      {"image": "a", "hostname": "a.b"}         | 'create' "hostname" is '"a.b"'; it must be one DNS label
      """)
  void refusesBadContentSayingWhatWouldBeAccepted(String content, String message) {
    Refusal r = assertThrows(Refusal.class, () -> parse(content));
    assertTrue(r.getMessage().startsWith(message), r.getMessage());
  }

  @Test
  void configTakesVcpusMemoryAndAutostart() throws Refusal {
    assertEquals(new Command.Config(2, null, true), CommandParser.parse(Verb.CONFIG,
        "{\"vcpus\": 2, \"autostart\": true}".getBytes(StandardCharsets.UTF_8)));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', textBlock = """
      ''                         | 'config' takes a JSON object with at least one of vcpus, memoryMiB, autostart
      {}                         | 'config' takes a JSON object with at least one of vcpus, memoryMiB, autostart
      {"image": "x"}             | 'config' does not know the key 'image'; known keys: vcpus, memoryMiB, autostart
      {"vcpus": 0}               | 'config' "vcpus" is '0'; it must be a whole number from 1 to 256
      {"memoryMiB": "lots"}      | 'config' "memoryMiB" is '"lots"'; it must be a whole number from 64 to 4194304
      {"vcpus": 1               | 'config' content is not valid JSON
      """)
  void refusesBadConfigContent(String content, String message) {
    Refusal r = assertThrows(Refusal.class,
        () -> CommandParser.parse(Verb.CONFIG, content.getBytes(StandardCharsets.UTF_8)));
    assertTrue(r.getMessage().startsWith(message), r.getMessage());
  }

  @Test
  void deleteTakesNoContent() throws Refusal {
    assertEquals(new Command.Delete(), CommandParser.parse(Verb.DELETE, new byte[0]));
    Refusal r = assertThrows(Refusal.class,
        () -> CommandParser.parse(Verb.DELETE, "now".getBytes(StandardCharsets.UTF_8)));
    assertEquals("'delete' takes no content, but the file holds 'now'; leave the file empty",
        r.getMessage());
  }

  @Test
  void snapshotVerbsTakeAName() throws Refusal {
    assertEquals(new Command.Snapshot("before-upgrade.1"), CommandParser.parse(Verb.SNAPSHOT,
        "before-upgrade.1\n".getBytes(StandardCharsets.UTF_8)));
    assertEquals(new Command.Revert("a"), CommandParser.parse(Verb.REVERT, "a".getBytes(StandardCharsets.UTF_8)));
    assertEquals(new Command.SnapshotDelete("a"),
        CommandParser.parse(Verb.SNAPSHOT_DELETE, "a".getBytes(StandardCharsets.UTF_8)));
    for (String bad : List.of("", "../x", "-a", "a b", "x".repeat(65))) {
      Refusal r = assertThrows(Refusal.class,
          () -> CommandParser.parse(Verb.SNAPSHOT, bad.getBytes(StandardCharsets.UTF_8)));
      assertTrue(r.getMessage().startsWith("'snapshot' takes a snapshot name: letters, digits, '_', "
          + "'.' and '-', up to 64, starting with a letter or digit, like 'before-upgrade'; the file "
          + "holds "), r.getMessage());
    }
  }
}
