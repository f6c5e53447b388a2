package org.wirt.hypervisor;

import java.util.Locale;

/** A change of a domain's run state that one libvirt call asks for ({@link Hypervisor#act}). */
public enum DomainAction {
  START,
  /** Asks the guest to shut down (ACPI power button). */
  SHUTDOWN,
  DESTROY,
  /** Asks the guest to reboot (ACPI). */
  REBOOT,
  RESET,
  SUSPEND,
  RESUME;

  /** The word for it in messages: {@code "start alice-web: Domain not found"}. */
  public String attempt() {
    return name().toLowerCase(Locale.ROOT);
  }
}
