package org.wirt.desired;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.wirt.command.Refusal;

class SettingsParserTest {

  private static DesiredSettings parse(String text) throws Refusal {
    return SettingsParser.parse(text.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void takesEveryKey() throws Refusal {
    assertEquals(new DesiredSettings(DesiredSettings.State.RUNNING, 2, 2048, true),
        parse("{\"autostart\": true, \"vcpus\": 2, \"memoryMiB\": 2048, \"state\": \"running\"}"));
  }

  @Test
  void everyKeyIsOptional() throws Refusal {
    assertEquals(new DesiredSettings(null, null, null, null), parse("{}"));
    assertEquals(new DesiredSettings(DesiredSettings.State.SHUTOFF, null, null, null),
        parse(" {\"state\": \"shutoff\"}\n"));
  }

  @Test
  void showsTheSettingsItNamesOnly() throws Refusal {
    assertEquals(Map.of("state", "running", "vcpus", 2), parse(
        "{\"vcpus\": 2, \"state\": \"running\"}").asMap());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', textBlock = """
      not json                         | not valid JSON
      ''                               | not a JSON object
      [1]                              | not a JSON object
      {} {}                            | not valid JSON
      {"vcpus": 1, "vcpus": 2}         | not valid JSON
      {"colour": "red"}                | unknown key 'colour'
      {"state": "paused"}              | "state" is '"paused"', not "running" or "shutoff"
      {"state": "Running"}             | "state" is '"Running"', not "running" or "shutoff"
      {"vcpus": 0}                     | "vcpus" is '0', not a whole number from 1 to 256
      {"vcpus": 257}                   | "vcpus" is '257', not a whole number from 1 to 256
      {"vcpus": 1.5}                   | "vcpus" is '1.5', not a whole number from 1 to 256
      {"memoryMiB": 63}                | "memoryMiB" is '63', not a whole number from 64 to 4194304
      {"memoryMiB": 99999999999}       | "memoryMiB" is '99999999999', not a whole number from 64
      {"autostart": "yes"}             | "autostart" is '"yes"', not true or false
      """)
  void refusesSayingWhatIsWrongAndWhatIsAccepted(String content, String message) {
    Refusal r = assertThrows(Refusal.class, () -> parse(content));
    assertTrue(r.getMessage().startsWith(message), r.getMessage());
    assertTrue(r.getMessage().endsWith(SettingsParser.ACCEPTED), r.getMessage());
  }

  @Test
  void refusesWhatIsNotUtf8() {
    Refusal r = assertThrows(Refusal.class,
        () -> SettingsParser.parse(new byte[] {'{', (byte) 0xff, '}'}));
    assertTrue(r.getMessage().startsWith("not UTF-8 text;"), r.getMessage());
  }
}
