package org.wirt.hypervisor;

import java.util.Objects;

/**
 * Who owns a domain, as recorded in the domain's wirt metadata (SPEC 3).
 *
 * @param user the owner's login name
 * @param uid the owner's uid: wirt acts on a domain only for the user with this uid and name
 * @param vm the name the owner uses for the VM in {@code ~/wirt/command/vm/<vm>}
 */
public record Owner(String user, int uid, String vm) {
  public Owner {
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(vm, "vm");
  }
}
