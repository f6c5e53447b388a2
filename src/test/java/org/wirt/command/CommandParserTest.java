package org.wirt.command;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CommandParserTest {

  private static Command parse(Verb verb, String content) throws Refusal {
    return CommandParser.parse(verb, content.getBytes(UTF_8));
  }

  @Test
  void emptyStopWaitsTwoMinutesWithoutForce() throws Refusal {
    assertEquals(new Command.Stop(Duration.ofSeconds(120), false), parse(Verb.STOP, ""));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "force|120|true",
      "timeout=30|30|false",
      "timeout=5 force|5|true",
      "'force\ntimeout=7\n'|7|true",
      "FORCE|120|true"})
  void stopAcceptsTimeoutAndForce(String content, long seconds, boolean force) throws Refusal {
    assertEquals(new Command.Stop(Duration.ofSeconds(seconds), force), parse(Verb.STOP, content));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "now|'stop' does not understand 'now'; it accepts nothing, 'force', 'timeout=<seconds>' (1 to 3600), or both",
      "timeout=0|'stop' timeout '0' is not a whole number of seconds from 1 to 3600, as in timeout=60",
      "timeout=abc|'stop' timeout 'abc' is not a whole number of seconds from 1 to 3600, as in timeout=60",
      "force force|'stop' does not understand 'force'; it accepts nothing, 'force', 'timeout=<seconds>' (1 to 3600), or both"})
  void stopRefusesOtherContent(String content, String message) {
    assertEquals(message, assertThrows(Refusal.class, () -> parse(Verb.STOP, content)).getMessage());
  }

  @ParameterizedTest
  @CsvSource({"'',true", "enable,true", "' enable\n',true", "disable,false", "--disable,false"})
  void autostartEnablesOrDisables(String content, boolean enabled) throws Refusal {
    assertEquals(new Command.Autostart(enabled), parse(Verb.AUTOSTART, content));
  }

  @Test
  void autostartRefusesOtherWords() {
    assertEquals("'autostart' does not understand 'yes'; write nothing or 'enable' to enable it, "
        + "'disable' or '--disable' to disable it",
        assertThrows(Refusal.class, () -> parse(Verb.AUTOSTART, "yes")).getMessage());
  }

  @Test
  void startTakesNoContentAndQuotesItEscaped() {
    assertEquals("'start' takes no content, but the file holds 'rm -rf /\\x0abye'; leave the file empty",
        assertThrows(Refusal.class, () -> parse(Verb.START, "rm -rf /\nbye")).getMessage());
  }

  @Test
  void whitespaceOnlyCountsAsEmpty() throws Refusal {
    assertEquals(new Command.Start(), parse(Verb.START, " \n\t"));
  }

  @Test
  void refusesContentThatIsNotUtf8() {
    Refusal r = assertThrows(Refusal.class,
        () -> CommandParser.parse(Verb.STOP, new byte[] {(byte) 0xff, (byte) 0xfe}));
    assertEquals("the content is not UTF-8 text; write plain text or JSON", r.getMessage());
  }

  @Test
  void consolidateTakesNoContent() throws Refusal {
    assertEquals(new Command.Consolidate(), parse(Verb.CONSOLIDATE, ""));
    Refusal r = assertThrows(Refusal.class, () -> parse(Verb.CONSOLIDATE, "now"));
    assertEquals("'consolidate' takes no content, but the file holds 'now'; leave the file empty",
        r.getMessage());
  }
}
