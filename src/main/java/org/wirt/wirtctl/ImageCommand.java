package org.wirt.wirtctl;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.wirt.cli.Cli;
import org.wirt.cli.ExitCode;
import org.wirt.config.Config;
import org.wirt.hypervisor.Hypervisor;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.provision.Image;
import org.wirt.provision.ImageStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code wirtctl image import|list|remove}: the golden images users create VMs from. */
@Command(name = "image", mixinStandardHelpOptions = true,
    description = "Manages golden images: read-only qcow2 or raw files in wirt's images pool.",
    subcommands = {ImageCommand.Import.class, ImageCommand.ListImages.class,
        ImageCommand.Remove.class})
final class ImageCommand implements Callable<Integer> {
  @ParentCommand WirtctlCommand parent;

  @Override
  public Integer call() {
    parent.err.println("wirtctl image: name a command: import, list or remove (wirtctl image --help)");
    return ExitCode.USAGE.code();
  }

  /**
   * An image subcommand: it runs with the image store and a libvirt connection, and its failures
   * are said after "wirtctl image: ".
   */
  @Command(mixinStandardHelpOptions = true)
  abstract static class Action implements Callable<Integer> {
    @ParentCommand ImageCommand image;

    abstract void run(ImageStore store, Hypervisor hv) throws IOException, HypervisorException;

    @Override
    public Integer call() throws Cli.Exit {
      Config cfg = image.parent.config();
      return image.parent.withLibvirt(cfg, "wirtctl image: ",
          hv -> run(new ImageStore(cfg.images()), hv));
    }
  }

  /** {@code wirtctl image import <name> <file> [--description FILE]}. */
  @Command(name = "import",
      description = {"Copies a qcow2 or raw image into the images pool as <name>, read-only.",
          "The description (JSON) sets the defaults of VMs made from it: vcpus, memoryMiB,",
          "diskGiB, osVariant, cloudInit (true: a NoCloud seed with hostname and SSH keys),",
          "and for direct kernel boot kernel, initrd, cmdline."})
  static final class Import extends Action {
    @Parameters(index = "0", paramLabel = "<name>") String name;
    @Parameters(index = "1", paramLabel = "<file>") Path file;
    @Option(names = "--description", paramLabel = "JSON-FILE") Path description;

    @Override
    void run(ImageStore store, Hypervisor hv) throws IOException, HypervisorException {
      // Read with the identity of the admin who ran wirtctl, not root's (SPEC 8).
      Image i = store.importImage(name, image.parent.caller.identity(), file, description,
          hv.storage());
      image.parent.out.println("imported " + i.name() + " (" + i.format() + ") as " + i.file());
    }
  }

  /** {@code wirtctl image list}. */
  @Command(name = "list", description = "Lists the images.")
  static final class ListImages extends Action {
    @Override
    void run(ImageStore store, Hypervisor hv) throws IOException, HypervisorException {
      List<Image> images = store.list();
      String row = "%-20s %-6s %5s %8s %6s %-9s %-12s %s%n";
      image.parent.out.printf(row, "NAME", "FORMAT", "VCPUS", "MEMORY", "DISK", "CLOUDINIT",
          "OS", "USED BY");
      for (Image i : images) {
        List<String> users = store.users(i, hv.storage());
        image.parent.out.printf(row, i.name(), i.format(), i.vcpus(), i.memoryMiB() + "M",
            i.diskGiB() + "G", i.cloudInit() ? "yes" : "no", i.osVariant(),
            users.isEmpty() ? "-" : String.join(",", users));
      }
    }
  }

  /** {@code wirtctl image remove <name>}. */
  @Command(name = "remove",
      description = "Removes an image, unless a VM's disk is an overlay on it.")
  static final class Remove extends Action {
    @Parameters(index = "0", paramLabel = "<name>") String name;

    @Override
    void run(ImageStore store, Hypervisor hv) throws IOException, HypervisorException {
      store.remove(name, hv.storage());
      image.parent.out.println("removed image " + name);
    }
  }
}
