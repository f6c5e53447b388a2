package org.wirt.wirt;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class UserTreeTest {
  @Test
  void freshTagsAreTheTimeAndRandomBitsAndDiffer() {
    Clock clock = Clock.fixed(Instant.parse("2026-12-03T07:50:01Z"), ZoneOffset.UTC);
    UserTree tree = new UserTree(Path.of("/nonexistent/wirt"), clock);
    Set<String> tags = new HashSet<>();
    for (int i = 0; i < 1000; i++) {
      String tag = tree.freshTag();
      assertTrue(tag.matches("w20261203T075001-[1-9a-f][0-9a-f]{7}"), tag);
      tags.add(tag);
    }
    // 1,000 draws of 28 free bits in the same second: a repeat or two may happen (p ~ 0.002),
    // more means a broken source (a constant one gives one tag).
    assertTrue(tags.size() >= 998, tags.size() + " different tags of 1,000");
  }
}
