package org.wirt.hypervisor;

/**
 * A hypervisor call failed. The message is libvirt's, prefixed with what wirt was doing, so it can
 * be shown to the user as it is.
 */
public final class HypervisorException extends Exception {
  private static final long serialVersionUID = 1L;

  private final boolean unreachable;

  public HypervisorException(String message, boolean unreachable, Throwable cause) {
    super(message, cause);
    this.unreachable = unreachable;
  }

  public HypervisorException(String message) {
    this(message, false, null);
  }

  /** Returns true when libvirt could not be reached at all (as opposed to refusing the call). */
  public boolean unreachable() {
    return unreachable;
  }
}
