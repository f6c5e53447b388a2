package org.wirt.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SafeTextTest {
  static Stream<Arguments> texts() {
    return Stream.of(
        Arguments.of("plain text, ünïcödé and 日本語", "plain text, ünïcödé and 日本語"),
        Arguments.of("a\nb\rc\td", "a\\x0ab\\x0dc\\x09d"),
        Arguments.of("del\u007f", "del\\x7f"),
        Arguments.of("next line\u0085csi\u009b", "next line\\xc2\\x85csi\\xc2\\x9b"),
        Arguments.of("line\u2028para\u2029", "line\\xe2\\x80\\xa8para\\xe2\\x80\\xa9"),
        Arguments.of("override\u202egnp.exe", "override\\xe2\\x80\\xaegnp.exe"),
        Arguments.of("isolate\u2066x\u2069", "isolate\\xe2\\x81\\xa6x\\xe2\\x81\\xa9"),
        Arguments.of("mark\u200f zero\u200b bom\ufeff", "mark\\xe2\\x80\\x8f zero\\xe2\\x80\\x8b bom\\xef\\xbb\\xbf"),
        Arguments.of("lone\ud800", "lone\\xef\\xbf\\xbd"),
        Arguments.of("back\\slash stays", "back\\slash stays"));
  }

  @ParameterizedTest
  @MethodSource("texts")
  void escapesWhatCanBreakALineOrReorderText(String text, String expected) {
    assertEquals(expected, SafeText.escape(text));
    assertEquals(expected, SafeText.escape(expected), "escaping again changes nothing");
  }

  @Test
  void returnsSafeTextItself() {
    String text = "command/vm/web/start: 'start' takes no content";
    assertSame(text, SafeText.escape(text));
  }

  @Test
  void wirtdsLogLineEscapesItsArguments() {
    ch.qos.logback.classic.LoggerContext context = new ch.qos.logback.classic.LoggerContext();
    ch.qos.logback.classic.spi.LoggingEvent event = new ch.qos.logback.classic.spi.LoggingEvent(
        SafeTextTest.class.getName(), context.getLogger("wirt"), ch.qos.logback.classic.Level.WARN,
        "refused user={} file={}", null, new Object[] {"mallory", "start\nFAKE\u202e"});
    assertEquals("refused user=mallory file=start\\x0aFAKE\\xe2\\x80\\xae",
        new SafeLogMessage().convert(event));
  }

  @Test
  void wirtdsLogLineEscapesTheMessagesOfItsException() {
    ch.qos.logback.classic.LoggerContext context = new ch.qos.logback.classic.LoggerContext();
    Exception e = new java.io.IOException("start\nFAKE\u202e",
        new IllegalStateException("cause\u2028line"));
    ch.qos.logback.classic.spi.LoggingEvent event = new ch.qos.logback.classic.spi.LoggingEvent(
        SafeTextTest.class.getName(), context.getLogger("wirt"), ch.qos.logback.classic.Level.WARN,
        "cannot check user={}", e, new Object[] {"mallory"});
    SafeThrowable converter = new SafeThrowable();
    converter.setContext(context);
    converter.start();
    String trace = converter.convert(event);
    java.util.List<String> lines = trace.lines().toList();
    assertEquals("java.io.IOException: start\\x0aFAKE\\xe2\\x80\\xae", lines.get(0));
    org.junit.jupiter.api.Assertions.assertTrue(lines.stream().anyMatch(l -> l.equals(
        "Caused by: java.lang.IllegalStateException: cause\\xe2\\x80\\xa8line")), trace);
    org.junit.jupiter.api.Assertions.assertTrue(lines.stream().skip(1)
        .allMatch(l -> l.startsWith("\t") || l.startsWith("Caused by: ")), trace);
  }

  @Test
  void blanksWhatCannotBeInAHeader() {
    assertEquals("web  Bcc: x   y", SafeText.blank("web\r\nBcc: x\u2028\u202e\u0085y"));
  }
}
