package org.wirt.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.wirt.command.Names;

class ConsoleRequestTest {

  @Test
  void readsAVmAndForce() throws Exception {
    assertEquals(new ConsoleRequest("web", false), ConsoleRequest.parse("console web"));
    assertEquals(new ConsoleRequest("web", true), ConsoleRequest.parse("console web force"));
    assertEquals("console web force\n", new ConsoleRequest("web", true).line());
  }

  @Test
  void refusesOtherLinesNamingWhatItTakes() {
    String[][] cases = {
        {"console", "the first line must be 'console <vm>' or 'console <vm> force'; found "
            + "'console'"},
        {"console web now", "the first line must be 'console <vm>' or 'console <vm> force'; "
            + "found 'console web now'"},
        {"attach web", "the first line must be 'console <vm>' or 'console <vm> force'; found "
            + "'attach web'"},
        {"console ../x", "'../x' is not a VM name; a VM name is " + Names.VM_RULE}};
    for (String[] c : cases) {
      ConsoleRequest.Invalid e = assertThrows(ConsoleRequest.Invalid.class,
          () -> ConsoleRequest.parse(c[0]));
      assertEquals(c[1], e.getMessage(), c[0]);
    }
  }

  @Test
  void findsTheDetachKey() {
    byte[] typed = {'l', 's', 0x1d, '\n'};
    assertEquals(2, ConsoleClient.indexOf(typed, typed.length, ConsoleClient.DETACH));
    assertEquals(-1, ConsoleClient.indexOf(typed, 2, ConsoleClient.DETACH));
  }
}
