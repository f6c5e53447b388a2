package org.wirt.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.wirt.cli.ExitCode;
import org.wirt.posix.Nss;
import org.wirt.wirtctl.Caller;
import org.wirt.wirtctl.WirtctlCommand;

/**
 * What an end-to-end test of created VMs needs on the real libvirtd, made once and torn down
 * after: a directory of its own under {@code /var/lib/wirt-test}, an isolated libvirt network of
 * its own (no {@code <forward>}, a random {@code /24} of the given range, DHCP), the images and
 * VM pools wirtd is configured with, the test guest imported as the golden image {@code tiny},
 * and the domains the test made. Nothing it defines is libvirt's {@code default} network.
 *
 * <p>Close it after the wirtd that used it, so that no domain is made again during the teardown.
 */
public final class GuestLab implements AutoCloseable {
  private final String id = UUID.randomUUID().toString().substring(0, 8);
  private final Path base;
  private final String imagesPool = "wirt-test-images-" + id;
  private final String vmsPool = "wirt-test-vms-" + id;
  private final String network = "wirt-test-net-" + id;
  private final String prefix;
  private final List<String> domains = new ArrayList<>();

  private GuestLab(String label, String range) {
    this.base = Path.of("/var/lib/wirt-test/" + label + "-" + id);
    this.prefix = range + ThreadLocalRandom.current().nextInt(1, 255) + ".";
  }

  /**
   * Makes the lab's directory and starts its network on {@code range} (two octets and a dot, such
   * as {@code "10.214."}: each test has its own, so that two labs never share a subnet), with
   * {@code networkXml} added inside its {@code <network>} (e.g. a {@code <domain>}).
   */
  public static GuestLab start(String label, String range, String networkXml) throws IOException {
    Libvirtd.connect().close();
    GuestLab lab = new GuestLab(label, range);
    try {
      Files.createDirectories(lab.base);
      Files.setPosixFilePermissions(lab.base, PosixFilePermissions.fromString("rwxr-xr-x"));
      Path netXml = lab.base.resolve("net.xml");
      Files.writeString(netXml, """
          <network>
            <name>%s</name>
            <bridge name='%s' stp='off'/>
            %s
            <ip address='%s1' netmask='255.255.255.0'>
              <dhcp><range start='%s10' end='%s99'/></dhcp>
            </ip>
          </network>
          """.formatted(lab.network, lab.bridge(), networkXml, lab.prefix, lab.prefix, lab.prefix));
      RealUsers.root("virsh", "-c", Libvirtd.URI, "net-define", netXml.toString());
      RealUsers.root("virsh", "-c", Libvirtd.URI, "net-start", lab.network);
      String net = RealUsers.root("virsh", "-c", Libvirtd.URI, "net-dumpxml", lab.network)
          .stdout();
      assertFalse(net.contains("<forward"), "the test network must be isolated: " + net);
      return lab;
    } catch (IOException | RuntimeException | AssertionError e) {
      lab.close();
      throw e;
    }
  }

  /** The lab's own directory, {@code rwxr-xr-x}, removed at the end. */
  public Path base() {
    return base;
  }

  /** The libvirt network's name. */
  public String network() {
    return network;
  }

  /** The network's bridge device. */
  public String bridge() {
    return "wl" + id;
  }

  /** The first three octets of the network's {@code /24} and a dot, e.g. {@code "10.214.7."}. */
  public String subnetPrefix() {
    return prefix;
  }

  /** The network's host address, where its dnsmasq answers. */
  public String gateway() {
    return prefix + "1";
  }

  /** The {@code "images"} member of a configuration: the lab's pools, its network, plain QEMU. */
  public String imagesJson() {
    return """
        "images": {"pool": "%s", "directory": "%s", "vmPool": "%s", "vmDirectory": "%s",
                   "domainType": "qemu", "networks": ["%s"]}
        """.formatted(imagesPool, base.resolve("images"), vmsPool, base.resolve("vms"), network);
  }

  /**
   * Writes {@code {"libvirtUri": ..., <members>}} as a 0644 configuration file in the lab, for
   * wirtctl and wirt; returns its path.
   */
  public Path writeConfig(String members) throws IOException {
    Path config = base.resolve("wirt.json");
    Files.writeString(config, "{\"libvirtUri\": \"" + Libvirtd.URI + "\", " + members + "}");
    Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-r--r--"));
    return config;
  }

  /** Imports the test guest as the golden image {@code tiny} with {@code wirtctl image import}. */
  public void importTinyImage(Path config) throws IOException {
    Path source = base.resolve("tiny.qcow2");
    RealUsers.root("qemu-img", "create", "-q", "-f", "qcow2", source.toString(), "64M");
    Path description = base.resolve("tiny.json");
    Files.writeString(description, """
        {"vcpus": 1, "memoryMiB": 128, "diskGiB": 1, "osVariant": "linux", "cloudInit": false,
         "kernel": "%s", "initrd": "%s", "cmdline": "console=ttyS0 quiet"}
        """.formatted(TestGuest.kernel(), TestGuest.initrd()));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    ExitCode code = WirtctlCommand.run(Caller.root(Nss.system()), new PrintWriter(out, true),
        new PrintWriter(err, true), "--config", config.toString(), "image", "import", "tiny",
        source.toString(), "--description", description.toString());
    assertEquals(ExitCode.OK, code, out + " " + err);
  }

  /** Notes a libvirt domain the test makes, to be destroyed and undefined at the end. */
  public String domain(String name) {
    domains.add(name);
    return name;
  }

  /** Destroys and undefines the domains, the network and the pools, and removes the directory. */
  @Override
  public void close() throws IOException {
    for (String d : domains) {
      RealUsers.attemptAsRoot("virsh", "-c", Libvirtd.URI, "destroy", d);
      RealUsers.attemptAsRoot("virsh", "-c", Libvirtd.URI, "undefine", "--nvram", d);
    }
    RealUsers.attemptAsRoot("virsh", "-c", Libvirtd.URI, "net-destroy", network);
    RealUsers.attemptAsRoot("virsh", "-c", Libvirtd.URI, "net-undefine", network);
    for (String pool : List.of(imagesPool, vmsPool)) {
      RealUsers.attemptAsRoot("virsh", "-c", Libvirtd.URI, "pool-destroy", pool);
      RealUsers.attemptAsRoot("virsh", "-c", Libvirtd.URI, "pool-undefine", pool);
    }
    RealUsers.root("rm", "-rf", base.toString());
  }
}
