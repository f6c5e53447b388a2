package org.wirt.wirt;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.util.List;
import org.wirt.cli.Json;
import org.wirt.command.Names;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code wirt create|delete|config|snapshot|revert|snapshot-delete|consolidate}. */
final class ProvisionCommands {

  private ProvisionCommands() {}

  /** {@code wirt create <vm> --image NAME ...}: makes the VM's command directory first. */
  @Command(name = "create",
      description = "Creates a VM on a golden image; settings default to the image's.")
  static final class Create extends Sending {
    @Option(names = "--image", required = true, paramLabel = "NAME") String image;
    @Option(names = "--vcpus", paramLabel = "N") Integer vcpus;
    @Option(names = "--memory", paramLabel = "MIB") Integer memoryMiB;
    @Option(names = "--disk", paramLabel = "GIB") Integer diskGiB;
    @Option(names = "--ssh-key", paramLabel = "KEY",
        description = "a public key line (repeatable); default: ~/.ssh/authorized_keys")
    List<String> sshKeys;
    @Option(names = "--autostart") boolean autostart;
    @Option(names = "--hostname", paramLabel = "NAME") String hostname;
    @Option(names = "--network", paramLabel = "NAME",
        description = "a libvirt network for a card (repeatable); default: the admin's")
    List<String> networks;
    @Option(names = "--no-network", description = "no network card") boolean noNetwork;


    @Override
    public Integer call() throws Exception {
      UserTree tree = parent.tree();
      if (Names.isVm(vm) && Files.isDirectory(tree.root())) {
        Files.createDirectories(tree.commandDir(vm));
      }
      return super.call();
    }

    @Override
    String content() {
      ObjectNode n = Json.MAPPER.createObjectNode();
      n.put("image", image);
      if (vcpus != null) {
        n.put("vcpus", vcpus);
      }
      if (memoryMiB != null) {
        n.put("memoryMiB", memoryMiB);
      }
      if (diskGiB != null) {
        n.put("diskGiB", diskGiB);
      }
      if (sshKeys != null) {
        sshKeys.forEach(n.putArray("sshKeys")::add);
      }
      if (autostart) {
        n.put("autostart", true);
      }
      if (hostname != null) {
        n.put("hostname", hostname);
      }
      if (noNetwork) {
        n.putArray("networks");
      } else if (networks != null) {
        networks.forEach(n.putArray("networks")::add);
      }
      return n.toString();
    }
  }

  /** {@code wirt delete <vm>}. */
  @Command(name = "delete", description = "Deletes a shut-off VM and the disks create made for it.")
  static final class Delete extends Sending {}

  /** {@code wirt config <vm> [--vcpus N] [--memory MIB] [--autostart on|off]}. */
  @Command(name = "config",
      description = "Changes vCPUs and memory (from the next boot) and autostart.")
  static final class Config extends Sending {
    @Option(names = "--vcpus", paramLabel = "N") Integer vcpus;
    @Option(names = "--memory", paramLabel = "MIB") Integer memoryMiB;
    @Option(names = "--autostart", paramLabel = "on|off") String autostart;

    @Override
    public Integer call() throws Exception {
      if (autostart != null) {
        onOrOff("--autostart", autostart);
      }
      return super.call();
    }

    @Override
    String content() {
      ObjectNode n = Json.MAPPER.createObjectNode();
      if (vcpus != null) {
        n.put("vcpus", vcpus);
      }
      if (memoryMiB != null) {
        n.put("memoryMiB", memoryMiB);
      }
      if (autostart != null) {
        n.put("autostart", autostart.equalsIgnoreCase("on"));
      }
      return n.toString();
    }
  }

  /** A snapshot verb: {@code wirt <verb> <vm> <name>}. */
  abstract static class Named extends Sending {
    @Parameters(index = "1", paramLabel = "<snapshot>") String snapshot;

    @Override
    String content() {
      return snapshot;
    }
  }

  @Command(name = "snapshot", description = "Takes a snapshot of a shut-off VM's disk.")
  static final class Snapshot extends Named {}

  @Command(name = "revert", description = "Brings a shut-off VM back to a snapshot.")
  static final class Revert extends Named {}

  @Command(name = "snapshot-delete", description = "Deletes a snapshot.")
  static final class SnapshotDelete extends Named {}

  @Command(name = "consolidate",
      description = "Detaches a shut-off VM's disk from its golden image.")
  static final class Consolidate extends Sending {}
}
