package org.wirt.hostname;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.wirt.command.Refusal;

class HostCommandTest {

  private static HostCommand parse(String name, String content) throws Refusal {
    return HostCommand.named(name).withContent(content.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void readsVerbTagAndVm() throws Refusal {
    assertEquals(new HostCommand(HostCommand.Verb.CONFIG, null, "web"),
        parse("config", "{\"vm\": \"web\"}\n"));
    assertEquals(new HostCommand(HostCommand.Verb.START, "t-1", null), parse("start.t-1", ""));
    assertEquals(new HostCommand(HostCommand.Verb.START, null, "db"),
        parse("start", "{\"vm\":\"db\"}"));
    assertEquals(new HostCommand(HostCommand.Verb.STOP, null, null), parse("stop", "\n"));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "delete||'delete' is no host name command; a command file in command/domain/<name>/ is named config, start or stop, optionally with .<tag> (1 to 64 letters, digits, '_' or '-')",
      "start.a b||the tag 'a b' is not valid; a tag is 1 to 64 letters, digits, '_' or '-'",
      "config||'config' needs JSON naming the VM, like {\"vm\": \"web\"}; the file is empty",
      "config|web|'config' takes JSON like {\"vm\": \"web\"}; found 'web'",
      "config|[1]|'config' takes a JSON object like {\"vm\": \"web\"}; found '[1]'",
      "config|{\"vm\": \"web\", \"ip\": \"1.2.3.4\"}|'config' does not know the key 'ip'; it takes only \"vm\", like {\"vm\": \"web\"}",
      "config|{\"vm\": \"../x\"}|'config' \"vm\" must be the name of one of your VMs (a letter or digit followed by up to 47 letters, digits, '_' or '-'); found '\"../x\"'",
      "start|{\"vm\": 3}|'start' \"vm\" must be the name of one of your VMs (a letter or digit followed by up to 47 letters, digits, '_' or '-'); found '3'",
      "stop|now|'stop' takes no content; found 'now'; write an empty file",
  })
  void refusesWithWhatIsAccepted(String name, String content, String message) {
    assertEquals(message, assertThrows(Refusal.class,
        () -> parse(name, content == null ? "" : content)).getMessage());
  }

  @Test
  void refusesContentThatIsNotUtf8() {
    assertEquals("the content is not UTF-8 text; write JSON like {\"vm\": \"web\"}",
        assertThrows(Refusal.class, () -> HostCommand.named("config")
            .withContent(new byte[] {(byte) 0xff})).getMessage());
  }
}
