package org.wirt.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The tiny guest of the end-to-end tests: Debian's kernel and a busybox initramfs that prints
 * {@value #READY} on its serial console once it listens for the ACPI power button, and then
 * powers itself off when the button is pressed ({@code virsh shutdown}). Built by {@code
 * scripts/make-test-guest.sh}, which {@code scripts/test-env.sh} runs.
 */
public final class TestGuest {
  /**
   * Where {@code scripts/test-env.sh} puts the guest: {@code vmlinuz} and {@code initrd.gz}, which
   * the qemu process (user {@code libvirt-qemu}) must be able to read.
   */
  public static final Path DIR = Path.of("/var/lib/wirt-test/guest");

  /** Where the tests let the guests' serial consoles write. */
  public static final Path SERIAL_DIR = Path.of("/var/lib/wirt-test/serial");

  /** The line the guest's init prints once acpid runs. */
  public static final String READY = "wirt-test-guest: ready for ACPI power button";

  private TestGuest() {}

  public static Path kernel() {
    return DIR.resolve("vmlinuz");
  }

  public static Path initrd() {
    return DIR.resolve("initrd.gz");
  }

  /** Returns the file the guest's serial console of this domain writes to. */
  public static Path serialLog(String name) {
    return SERIAL_DIR.resolve(name + ".log");
  }

  /** Fails, naming the remedy, unless the guest has been built. */
  public static void requireBuilt() {
    if (!Files.isReadable(kernel()) || !Files.isReadable(initrd())) {
      throw new AssertionError(
          "test guest missing in " + DIR + "; run scripts/test-env.sh as root first");
    }
  }

  /**
   * Returns the XML of a persistent QEMU domain for the test guest: TCG (nested KVM may be
   * missing), 128 MiB, one vcpu, ACPI, serial console to {@link #serialLog(String)}, and no
   * network interface and no disk.
   */
  public static String domainXml(String name) {
    String serial = serialLog(name).toString();
    return xml(name, """
          <currentMemory unit='MiB'>128</currentMemory>
        """, """
          <on_poweroff>destroy</on_poweroff>
          <on_reboot>restart</on_reboot>
          <on_crash>destroy</on_crash>
        """, """
            <serial type='file'>
              <source path='%s' append='on'/>
              <target port='0'/>
            </serial>
            <console type='file'>
              <source path='%s' append='on'/>
              <target type='serial' port='0'/>
            </console>
        """.formatted(serial, serial));
  }

  /**
   * Returns the XML of a test guest as wirt's own domains have it: a pty serial console whose
   * output libvirt also logs to {@code log}, and an interface on {@code network} if given.
   */
  public static String consoleDomainXml(String name, Path log, Optional<String> network) {
    String nic = network.map(n -> "    <interface type='network'><source network='" + n
        + "'/><model type='virtio'/></interface>\n").orElse("");
    return xml(name, "", "", """
            <serial type='pty'><log file='%s' append='on'/><target port='0'/></serial>
            <console type='pty'><target type='serial' port='0'/></console>
        """.formatted(log) + nic);
  }

  /** The test guest's domain: its kernel and initrd, 128 MiB, one vCPU, ACPI, no disk. */
  private static String xml(String name, String memory, String lifecycle, String devices) {
    return """
        <domain type='qemu'>
          <name>%s</name>
          <memory unit='MiB'>128</memory>
        %s  <vcpu>1</vcpu>
          <os>
            <type arch='x86_64' machine='pc'>hvm</type>
            <kernel>%s</kernel>
            <initrd>%s</initrd>
            <cmdline>console=ttyS0 quiet</cmdline>
          </os>
          <features><acpi/></features>
        %s  <devices>
        %s    <memballoon model='none'/>
          </devices>
        </domain>
        """.formatted(name, memory, kernel(), initrd(), lifecycle, devices);
  }
}
