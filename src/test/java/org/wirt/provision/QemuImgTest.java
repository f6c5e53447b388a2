package org.wirt.provision;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class QemuImgTest {

  @ParameterizedTest
  @CsvSource(delimiter = '|', textBlock = """
      '    (0.00/100%)'                 | 0
      '    (42.97/100%)'                | 42
      '    (100.00/100%)'               | 100
      '    (1.00/100%)    (7.50/100%)'  | 7
      'qemu-img: Could not open x'      | -1
      ''                                | -1
      """)
  void readsTheWholePercentOfQemuImgProgress(String line, int percent) {
    assertEquals(percent, QemuImg.percent(line));
  }
}
