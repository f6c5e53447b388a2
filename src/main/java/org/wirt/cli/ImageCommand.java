package org.wirt.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.wirt.config.Config;
import org.wirt.hypervisor.Hypervisor;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.LibvirtHypervisor;
import org.wirt.provision.Image;
import org.wirt.provision.ImageStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Parameters;

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

  /** Runs an image action with the configuration and a libvirt connection; maps failures. */
  private Integer with(Action action) {
    Config cfg = parent.configOrReport();
    if (cfg == null) {
      return ExitCode.CONFIG.code();
    }
    try (Hypervisor hv = LibvirtHypervisor.open(cfg.libvirtUri())) {
      action.run(new ImageStore(cfg.images()), hv);
      return ExitCode.OK.code();
    } catch (HypervisorException | IOException | IllegalArgumentException
        | IllegalStateException e) {
      parent.err.println("wirtctl image: " + e.getMessage());
      return ExitCode.FAILED.code();
    }
  }

  @FunctionalInterface
  private interface Action {
    void run(ImageStore store, Hypervisor hv) throws IOException, HypervisorException;
  }

  /** {@code wirtctl image import <name> <file> [--description FILE]}. */
  @Command(name = "import", mixinStandardHelpOptions = true,
      description = {"Copies a qcow2 or raw image into the images pool as <name>, read-only.",
          "The description (JSON) sets the defaults of VMs made from it: vcpus, memoryMiB,",
          "diskGiB, osVariant, cloudInit (true: a NoCloud seed with hostname and SSH keys),",
          "and for direct kernel boot kernel, initrd, cmdline."})
  static final class Import implements Callable<Integer> {
    @ParentCommand ImageCommand image;
    @Parameters(index = "0", paramLabel = "<name>") String name;
    @Parameters(index = "1", paramLabel = "<file>") Path file;
    @Option(names = "--description", paramLabel = "JSON-FILE") Path description;

    @Override
    public Integer call() {
      return image.with((store, hv) -> {
        // Read with the identity of the admin who ran wirtctl, not root's (SPEC 8).
        Image i = store.importImage(name, image.parent.caller.identity(), file, description,
            hv.storage());
        image.parent.out.println("imported " + i.name() + " (" + i.format() + ") as " + i.file());
      });
    }
  }

  /** {@code wirtctl image list}. */
  @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists the images.")
  static final class ListImages implements Callable<Integer> {
    @ParentCommand ImageCommand image;

    @Override
    public Integer call() {
      return image.with((store, hv) -> {
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
      });
    }
  }

  /** {@code wirtctl image remove <name>}. */
  @Command(name = "remove", mixinStandardHelpOptions = true,
      description = "Removes an image, unless a VM's disk is an overlay on it.")
  static final class Remove implements Callable<Integer> {
    @ParentCommand ImageCommand image;
    @Parameters(index = "0", paramLabel = "<name>") String name;

    @Override
    public Integer call() {
      return image.with((store, hv) -> {
        store.remove(name, hv.storage());
        image.parent.out.println("removed image " + name);
      });
    }
  }
}
