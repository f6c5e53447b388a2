package org.wirt.hypervisor;

/** SKELETON: implemented by the hypervisor helper. */
public abstract class LibvirtHypervisor implements Hypervisor {
  public static LibvirtHypervisor open(String uri) throws HypervisorException { throw new UnsupportedOperationException(); }
}
