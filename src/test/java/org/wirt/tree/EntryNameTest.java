package org.wirt.tree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class EntryNameTest {
  static Stream<Arguments> names() {
    return Stream.of(
        Arguments.of(new byte[] {'s', 't', 'a', 'r', 't'}, "start", Optional.of("start")),
        Arguments.of("stop.tag-1_x".getBytes(), "stop.tag-1_x", Optional.of("stop.tag-1_x")),
        Arguments.of(new byte[] {'a', '\n', 'b'}, "a\\x0ab", Optional.empty()),
        Arguments.of(new byte[] {'x', (byte) 0xff, 'y'}, "x\\xffy", Optional.empty()),
        Arguments.of(new byte[] {'a', '\\', 'b'}, "a\\x5cb", Optional.of("a\\b")),
        Arguments.of(new byte[] {(byte) 0xc3, (byte) 0xa9}, "é", Optional.of("é")),
        Arguments.of(new byte[] {(byte) 0xc0, (byte) 0xaf}, "\\xc0\\xaf", Optional.empty()),
        Arguments.of(new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80}, "\\xed\\xa0\\x80", Optional.empty()),
        Arguments.of(new byte[] {(byte) 0xe2, (byte) 0x80, (byte) 0xae}, "\\xe2\\x80\\xae", Optional.empty()),
        Arguments.of(new byte[] {(byte) 0xc2, (byte) 0x85}, "\\xc2\\x85", Optional.empty()),
        Arguments.of(new byte[] {0x7f, '"'}, "\\x7f\"", Optional.empty()),
        Arguments.of(new byte[] {(byte) 0xe2, (byte) 0x82}, "\\xe2\\x82", Optional.empty()));
  }

  @ParameterizedTest
  @MethodSource("names")
  void displaysEscapedAndGivesTextOnlyWhenSafe(byte[] raw, String display, Optional<String> text) {
    EntryName name = new EntryName(raw);
    assertEquals(display, name.display());
    assertEquals(text, name.text());
  }

  @Test
  void equalityIsByContentAndTheBytesAreCopied() {
    byte[] raw = {'a'};
    EntryName name = new EntryName(raw);
    raw[0] = 'b';
    assertEquals(EntryName.of("a"), name);
    assertEquals(EntryName.of("a").hashCode(), name.hashCode());
    assertNotEquals(EntryName.of("b"), name);
    name.raw()[0] = 'c';
    assertEquals(EntryName.of("a"), name);
  }
}
