package org.wirt.verbs;

import java.util.Objects;
import java.util.Optional;
import org.wirt.command.Refusal;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.tree.HomeTree;
import org.wirt.tree.Identity;

/**
 * The VM a command names: the user's tree, the VM's name, and its domain if the user owns one
 * (read from libvirt just now, {@link Domains#find}).
 */
record Target(HomeTree tree, String vm, Optional<ManagedDomain> found) {
  Target {
    Objects.requireNonNull(tree, "tree");
    Objects.requireNonNull(vm, "vm");
    Objects.requireNonNull(found, "found");
  }

  Identity user() {
    return tree.identity();
  }

  /**
   * Returns the user's domain of the VM.
   *
   * @throws Refusal if the user owns none (SPEC 3)
   */
  ManagedDomain domain() throws Refusal {
    return domain("");
  }

  /**
   * Returns the user's domain of the VM.
   *
   * @param orElse a further remedy the refusal names, such as {@code ", or write 'create'"}
   * @throws Refusal if the user owns none (SPEC 3)
   */
  ManagedDomain domain(String orElse) throws Refusal {
    String user = user().user();
    return found.orElseThrow(() -> new Refusal("VM '" + vm + "' is not yours: no domain carries "
        + "owner metadata for " + user + "/" + vm + "; ask an admin to run `wirtctl assign "
        + "<domain> " + user + " " + vm + "`" + orElse));
  }
}
