package org.wirt.provision;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HostnameTest {

  @ParameterizedTest
  @CsvSource({"web,web", "my_vm,my-vm", "web-,web", "a__,a", "9,9"})
  void aVmNameBecomesADnsLabel(String vm, String hostname) {
    assertEquals(hostname, Provisioner.hostname(vm));
  }
}
