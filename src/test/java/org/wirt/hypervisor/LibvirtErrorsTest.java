package org.wirt.hypervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.libvirt.Error;
import org.libvirt.Error.ErrorDomain;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.jna.virError;

class LibvirtErrorsTest {

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "VIR_ERR_SYSTEM_ERROR     | VIR_FROM_RPC    | Cannot recv data: Connection reset by peer | true",
      "VIR_ERR_SYSTEM_ERROR     | VIR_FROM_RPC    | Failed to connect socket to '/run/libvirt/libvirt-sock' | true",
      "VIR_ERR_INTERNAL_ERROR   | VIR_FROM_RPC    | client socket is closed | true",
      "VIR_ERR_INTERNAL_ERROR   | VIR_FROM_REMOTE | internal error: connection closed due to keepalive timeout | true",
      "VIR_ERR_NO_CONNECT       | VIR_FROM_NONE   | no connection driver available | true",
      "VIR_ERR_INVALID_CONN     | VIR_FROM_NONE   | invalid connection pointer | true",
      "VIR_ERR_RPC              | VIR_FROM_RPC    | RPC failure | true",
      "VIR_ERR_SYSTEM_ERROR     | VIR_FROM_QEMU   | Cannot access kernel '/x': No such file | false",
      "VIR_ERR_OPERATION_INVALID| VIR_FROM_QEMU   | Requested operation is not valid: domain is already running | false",
      "VIR_ERR_NO_DOMAIN        | VIR_FROM_QEMU   | Domain not found | false",
  })
  void tellsLostConnectionFromRefusal(ErrorNumber code, ErrorDomain domain, String message, boolean unreachable) {
    HypervisorException e = LibvirtErrors.failure("start alice-web", error(code, domain, message), null);

    assertEquals("start alice-web: " + message, e.getMessage());
    assertEquals(unreachable, e.unreachable());
  }

  private static Error error(ErrorNumber code, ErrorDomain domain, String message) {
    virError raw = new virError();
    raw.code = code.ordinal();
    raw.domain = domain.ordinal();
    raw.message = message;
    raw.level = 2;
    return new Error(raw);
  }
}
