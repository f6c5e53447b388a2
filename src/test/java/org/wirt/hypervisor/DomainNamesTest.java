package org.wirt.hypervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DomainNamesTest {

  @Test
  void formatsUserAndVm() {
    assertEquals("alice-web", DomainNames.format(DomainNames.DEFAULT_PATTERN, "alice", "web"));
    assertEquals("vm_web.alice", DomainNames.format("vm_{vm}.{user}", "alice", "web"));
  }

  @ParameterizedTest
  @CsvSource({
      "{user}-{vm}, alice, alice-web, web",
      "{user}-{vm}, a, a-b-c, b-c",
      "{user}-{vm}, a-b, a-b-c, c",
      "{user}-{vm}, alice, bob-web, ''",
      "{user}-{vm}, alice, alice-, ''",
      "{user}-{vm}, alice, alice, ''",
      "{user}-{vm}, alice, alice-we.b, ''",
      "vm_{vm}.{user}, alice, vm_web.alice, web",
      "vm_{vm}.{user}, alice, vm_web.bob, ''",
      "{vm}, alice, web, web",
  })
  void guessesVmFromDomainName(String pattern, String user, String domain, String vm) {
    assertEquals(
        vm.isEmpty() ? Optional.empty() : Optional.of(vm),
        DomainNames.vmFromDomainName(pattern, user, domain));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{user}| domainNamePattern '{user}' must contain {vm} exactly once, e.g. {user}-{vm}",
      "{vm}-{vm}| domainNamePattern '{vm}-{vm}' must contain {vm} exactly once, e.g. {user}-{vm}",
      "{user}-{user}-{vm}| domainNamePattern '{user}-{user}-{vm}' must contain {user} at most once, e.g. {user}-{vm}",
  })
  void refusesBadPatterns(String pattern, String message) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> DomainNames.checkPattern(pattern));
    assertEquals(message, e.getMessage());
  }
}
