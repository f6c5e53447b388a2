package org.wirt.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.LibvirtHypervisor;

/** The real libvirtd of the end-to-end tests, prepared by {@code scripts/test-env.sh}. */
public final class Libvirtd {
  public static final String URI = "qemu:///system";

  private Libvirtd() {}

  /**
   * Connects to {@link #URI}, failing (never skipping) with the remedy when this machine is not
   * prepared: not root, libvirtd not running, or the test guest not built.
   */
  public static LibvirtHypervisor connect() {
    if (!"root".equals(System.getProperty("user.name"))) {
      throw new AssertionError("e2e tests must run as root; run scripts/test-env.sh, then the tests as root");
    }
    TestGuest.requireBuilt();
    try {
      Files.createDirectories(TestGuest.SERIAL_DIR);
      Files.setPosixFilePermissions(TestGuest.SERIAL_DIR, PosixFilePermissions.fromString("rwxr-xr-x"));
    } catch (IOException e) {
      throw new AssertionError("cannot prepare " + TestGuest.SERIAL_DIR + ": " + e.getMessage(), e);
    }
    try {
      return LibvirtHypervisor.open(URI);
    } catch (HypervisorException e) {
      throw new AssertionError(
          "no libvirtd on " + URI + " (" + e.getMessage() + "); run scripts/test-env.sh as root", e);
    }
  }
}
