package org.wirt.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The test's parser of the text format refuses what the format does not allow. */
class PrometheusTextTest {

  @Test
  void readsFamiliesLabelsEscapesAndHistograms() throws Exception {
    Map<String, PrometheusText.Family> f = PrometheusText.parse("""
        # HELP a_total Things, with a \\\\ and a \\n in the help.
        # TYPE a_total counter
        a_total{k="x\\\\y\\"z\\nw",j="2"} 3
        # a comment
        # TYPE h histogram
        h_bucket{le="0.5"} 1
        h_bucket{le="+Inf"} 2
        h_sum 1.5e0
        h_count 2
        g NaN 1700000000000
        """);
    assertEquals("counter", f.get("a_total").type());
    assertEquals("Things, with a \\ and a \n in the help.", f.get("a_total").help());
    assertEquals(3, f.get("a_total").value("a_total", Map.of("k", "x\\y\"z\nw", "j", "2")));
    assertEquals(2, f.get("h").value("h_count"));
    assertEquals("untyped", f.get("g").type());
    assertEquals(1_700_000_000_000L, f.get("g").samples().get(0).timestamp());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "a 1|line 1: the last line has no line feed",
      "a{k=\"v\\t\"} 1\\n|line 1: invalid escape \\t in: a{k=\"v\\t\"} 1",
      "a{k=\"v} 1\\n|line 1: label value of k does not end: a{k=\"v} 1",
      "a{k=v} 1\\n|line 1: label k has no =\"value\" in: a{k=v} 1",
      "a{k=\"1\",k=\"2\"} 1\\n|line 1: label k twice in: a{k=\"1\",k=\"2\"} 1",
      "a{__k=\"1\"} 1\\n|line 1: not a label name: '__k' in: a{__k=\"1\"} 1",
      "a one\\n|line 1: not a number: one",
      "a 1 2 3\\n|line 1: more than a value and a timestamp in: a 1 2 3",
      "a 1\\na 2\\n|line 2: series twice: a{}",
      "a 1\\nb 1\\na{x=\"1\"} 1\\n|line 3: a appears again after other families",
      "a 1\\n# TYPE a gauge\\n|line 2: TYPE for a after its samples",
      "# TYPE a gauge\\n# TYPE a gauge\\n|line 2: second TYPE for a",
      "# TYPE a meter\\n|line 1: unknown type 'meter' for a",
      "9a 1\\n|line 1: not a metric name at the start of: 9a 1",
      "# TYPE c counter\\nc -1\\n|line 0: counter c is -1.0",
      "# TYPE h histogram\\nh_bucket{le=\"1\"} 2\\nh_bucket{le=\"+Inf\"} 1\\nh_sum 1\\nh_count 1\\n|line 0: h bucket le=+Inf is not cumulative: 1.0 after 2.0",
      "# TYPE h histogram\\nh_bucket{le=\"2\"} 1\\nh_bucket{le=\"1\"} 1\\nh_bucket{le=\"+Inf\"} 1\\nh_sum 1\\nh_count 1\\n|line 0: h bucket le=1 does not increase",
      "# TYPE h histogram\\nh_bucket{le=\"1\"} 1\\nh_sum 1\\nh_count 1\\n|line 0: h has no +Inf bucket",
      "# TYPE h histogram\\nh_bucket{le=\"+Inf\"} 2\\nh_sum 1\\nh_count 1\\n|line 0: h_count 1.0 differs from +Inf 2.0"})
  void refusesWhatTheFormatDoesNotAllow(String text, String message) {
    String unescaped = text.replace("\\n", "\n");
    assertEquals(message, assertThrows(PrometheusText.FormatException.class,
        () -> PrometheusText.parse(unescaped)).getMessage());
  }
}
