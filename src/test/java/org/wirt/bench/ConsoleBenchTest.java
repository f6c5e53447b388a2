package org.wirt.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import org.junit.jupiter.api.Test;

/** How the console measure reads what scripts/console-rtt.py printed (the run needs root). */
class ConsoleBenchTest {

  @Test
  void samplesAreTheScriptsMillisecondsInNanoseconds() throws IOException {
    assertArrayEquals(new long[] {1_250_000, 400_000, 12_345_600},
        ConsoleBench.samples("{\"path\": \"wirt\", \"ms\": [1.25, 0.4, 12.3456], \"samples\": 3,"
            + " \"p50\": 1.25, \"p99\": 12.346, \"mean\": 4.665}\n"));
  }

  @Test
  void aRunWithoutSamplesIsAnError() {
    IOException e = assertThrows(IOException.class,
        () -> ConsoleBench.samples("{\"path\": \"virsh\", \"ms\": []}"));
    assertEquals("console-rtt.py gave no samples: {\"path\": \"virsh\", \"ms\": []}",
        e.getMessage());
  }
}
