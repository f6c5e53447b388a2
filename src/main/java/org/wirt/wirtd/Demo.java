package org.wirt.wirtd;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.wirt.config.Config;
import org.wirt.config.ConfigLoader;
import org.wirt.hypervisor.Hypervisor;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.Owner;
import org.wirt.posix.Nss;
import org.wirt.posix.Passwd;
import org.wirt.tree.Identity;
import org.wirt.users.ListedMembers;
import org.wirt.users.Members;

/**
 * {@code wirtd --demo DIR}: wirt working with no root and no libvirtd (SPEC 10). Two demo users,
 * alice and bob, live under {@code DIR/home}; their VMs are domains of libvirt's built-in test
 * driver, defined with owner metadata at startup. Both users are the current Unix user as far as
 * the kernel is concerned: the demo shows the flow, not the permission checks.
 */
final class Demo {
  private static final String URI = "test:///default";
  private static final Map<String, List<String>> VMS = Map.of(
      "alice", List.of("web", "db"),
      "bob", List.of("web"));

  private final Path dir;
  private final Identity self;
  private final Map<String, Path> homes = new LinkedHashMap<>();

  Demo(Path dir, Nss nss) throws IOException {
    this.dir = Objects.requireNonNull(dir, "dir").toAbsolutePath().normalize();
    int uid = Objects.requireNonNull(nss, "nss").euid();
    Passwd me = nss.user(uid).orElseThrow(() -> new IOException("uid " + uid + " has no passwd entry"));
    this.self = new Identity(me.name(), me.uid(), me.gid(), nss.groupList(me.name(), me.gid()));
    for (String user : List.of("alice", "bob")) {
      Path home = this.dir.resolve("home").resolve(user);
      Files.createDirectories(home.resolve("wirt"));
      homes.put(user, home);
    }
  }

  Config config() {
    return ConfigLoader.defaults().withDemo(URI, homes, dir.resolve("state"), dir.resolve("log"));
  }

  Members members() {
    return new ListedMembers(homes, user -> new Identity(user, self.uid(), self.gid(), self.groups()));
  }

  /** Defines the demo users' VMs in the test driver, which starts empty but for its own "test". */
  void populate(Hypervisor hypervisor) throws HypervisorException {
    for (String user : List.of("alice", "bob")) {
      for (String vm : VMS.get(user)) {
        String name = user + "-" + vm;
        hypervisor.define("<domain type='test'><name>" + name + "</name>"
            + "<memory unit='MiB'>512</memory><vcpu>1</vcpu>"
            + "<os><type arch='x86_64'>hvm</type></os></domain>",
            new Owner(user, self.uid(), vm));
      }
    }
  }

  void printWelcome(PrintWriter out) {
    Path alice = homes.get("alice").resolve("wirt");
    out.println();
    out.println("wirt demo running: libvirt's test driver, users alice (VMs web, db) and bob (VM web).");
    out.println("In another terminal, try:");
    out.println();
    out.println("  java -jar target/wirt.jar wirt --tree " + alice + " start web");
    out.println("  java -jar target/wirt.jar wirt --tree " + alice + " list");
    out.println("  touch " + alice.resolve("command/vm/db/start") + "   # the same, with a file");
    out.println("  cat " + alice.resolve("info/vm/web/status.json"));
    out.println("  cat " + alice.resolve("logs/history.log"));
    out.println("  echo 'timeout=5 force' > " + alice.resolve("command/vm/web/.stop.tmp")
        + " && mv " + alice.resolve("command/vm/web/.stop.tmp") + " " + alice.resolve("command/vm/web/stop"));
    out.println("  mkdir " + alice.resolve("command/vm/nothere") + " && touch "
        + alice.resolve("command/vm/nothere/start") + "   # refused: not alice's VM");
    out.println("  ls " + alice.resolve("rejected"));
    out.println();
    out.println("Press Ctrl-C to stop.");
    out.flush();
  }
}
