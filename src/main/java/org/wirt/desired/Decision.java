package org.wirt.desired;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.wirt.command.Command;
import org.wirt.hypervisor.DomainState;

/**
 * Decides, from what {@code settings.json} asks, what the VM is and what wirtd remembers of this
 * content, the one command that brings the VM closer (a {@code config}, then a {@code start} or
 * {@code stop}), and what still differs and why. Pure: no I/O, so every case is a unit test.
 *
 * <p>Nothing is done when the VM matches; a setting a one-off command overrode is left alone; an
 * action refused or failed for this content is not tried again (so a refusal is recorded once per
 * change of the file, not at every sweep).
 */
public final class Decision {
  private Decision() {}

  /**
   * One command to run for the file.
   *
   * @param content the command's content as a command file of its verb would hold it (the journal
   *     keeps it, and recovery parses it like any command's)
   */
  public record Step(Command command, byte[] content) {
    public Step {
      Objects.requireNonNull(command, "command");
      content = content.clone();
    }

    @Override
    public byte[] content() {
      return content.clone();
    }
  }

  /** What to do next (if anything), and what still differs and why. */
  public record Plan(Optional<Step> next, List<String> pending) {
    public Plan {
      Objects.requireNonNull(next, "next");
      pending = List.copyOf(pending);
    }
  }

  /** The plan for {@code desired}, given the VM's {@code now} and the memory of this content. */
  static Plan plan(DesiredSettings desired, Effective now, Memory memory) {
    List<String> pending = new ArrayList<>();
    Step next = null;

    Integer vcpus = differs(desired.vcpus(), now.nextVcpus(), "vcpus", memory, pending);
    Integer memoryMiB = desired.memoryMiB() == null ? null
        : differs(desired.memoryMiB(), (int) now.nextMemoryMiB(), "memoryMiB", memory, pending);
    Boolean autostart = null;
    if (desired.autostart() != null && desired.autostart() != now.autostart()) {
      if (overridden(memory, "autostart", desired.autostart(), pending)) {
        autostart = null;
      } else {
        autostart = desired.autostart();
      }
    }
    if (vcpus != null || memoryMiB != null || autostart != null) {
      String refused = memory.refused().get("config");
      if (refused != null) {
        pending.add("config " + configText(vcpus, memoryMiB, autostart) + ": " + refused
            + " (not tried again until settings.json changes)");
      } else {
        next = new Step(new Command.Config(vcpus, memoryMiB, autostart),
            configJson(vcpus, memoryMiB, autostart));
        pending.add("config " + configText(vcpus, memoryMiB, autostart) + ": being applied");
      }
    }
    // A running VM keeps what it booted with: the definition's settings wait for its next boot.
    if (now.state().holdsResources()) {
      if (desired.vcpus() != null && desired.vcpus() == now.nextVcpus()
          && desired.vcpus() != now.vcpus()) {
        pending.add("vcpus " + desired.vcpus() + " applies at next boot");
      }
      if (desired.memoryMiB() != null && desired.memoryMiB() == now.nextMemoryMiB()
          && desired.memoryMiB() != now.memoryMiB()) {
        pending.add("memoryMiB " + desired.memoryMiB() + " applies at next boot");
      }
    }

    DesiredSettings.State state = desired.state();
    Step power = null;
    String verb = null;
    if (state == DesiredSettings.State.RUNNING && now.state().isOff()
        && now.state() != DomainState.UNDEFINED) {
      verb = "start";
      power = new Step(new Command.Start(), new byte[0]);
    } else if (state == DesiredSettings.State.SHUTOFF && now.state().holdsResources()) {
      // A guest that ignores the ACPI request is powered off after the usual timeout: the file
      // asks for the VM to be off, not for a request that may be ignored for ever.
      verb = "stop";
      power = new Step(new Command.Stop(Command.Stop.DEFAULT_TIMEOUT, true),
          "force".getBytes(StandardCharsets.UTF_8));
    }
    if (power != null && !overridden(memory, "state", state.json(), pending)) {
      String refused = memory.refused().get(verb);
      if (refused != null) {
        pending.add("state " + state.json() + ": " + verb + " " + refused
            + " (not tried again until settings.json changes)");
      } else {
        pending.add("state " + state.json() + ": " + (verb.equals("start") ? "starting"
            : "stopping"));
        if (next == null) {
          next = power;
        }
      }
    }
    return new Plan(Optional.ofNullable(next), pending);
  }

  /**
   * The settings of {@code desired} a one-off command overrides: those it sets to something else
   * than the file asks. A one-off that agrees with the file overrides nothing (a {@code start} of
   * a VM the file wants running leaves it restarted after a crash).
   */
  public static Set<String> overrides(DesiredSettings desired, Command oneOff) {
    Set<String> out = new LinkedHashSet<>();
    DesiredSettings.State state = desired.state();
    if (oneOff instanceof Command.Start) {
      if (state == DesiredSettings.State.SHUTOFF) {
        out.add("state");
      }
    } else if (oneOff instanceof Command.Stop || oneOff instanceof Command.Destroy
        || oneOff instanceof Command.Suspend) {
      if (state == DesiredSettings.State.RUNNING) {
        out.add("state");
      }
    } else if (oneOff instanceof Command.Config c) {
      if (c.vcpus() != null && desired.vcpus() != null && !c.vcpus().equals(desired.vcpus())) {
        out.add("vcpus");
      }
      if (c.memoryMiB() != null && desired.memoryMiB() != null
          && !c.memoryMiB().equals(desired.memoryMiB())) {
        out.add("memoryMiB");
      }
      if (c.autostart() != null && desired.autostart() != null
          && !c.autostart().equals(desired.autostart())) {
        out.add("autostart");
      }
    } else if (oneOff instanceof Command.Autostart a) {
      if (desired.autostart() != null && a.enabled() != desired.autostart()) {
        out.add("autostart");
      }
    }
    return out;
  }

  /** The desired value if it differs from the definition's and is not overridden, else null. */
  private static Integer differs(Integer desired, int now, String setting, Memory memory,
      List<String> pending) {
    if (desired == null || desired == now) {
      return null;
    }
    return overridden(memory, setting, desired, pending) ? null : desired;
  }

  private static boolean overridden(Memory memory, String setting, Object value,
      List<String> pending) {
    String verb = memory.overrides().get(setting);
    if (verb == null) {
      return false;
    }
    pending.add(setting + " " + value + ": overridden by the one-off '" + verb
        + "' until settings.json changes");
    return true;
  }

  private static String configText(Integer vcpus, Integer memoryMiB, Boolean autostart) {
    List<String> parts = new ArrayList<>();
    if (vcpus != null) {
      parts.add("vcpus " + vcpus);
    }
    if (memoryMiB != null) {
      parts.add("memoryMiB " + memoryMiB);
    }
    if (autostart != null) {
      parts.add("autostart " + autostart);
    }
    return String.join(", ", parts);
  }

  private static byte[] configJson(Integer vcpus, Integer memoryMiB, Boolean autostart) {
    List<String> parts = new ArrayList<>();
    if (vcpus != null) {
      parts.add("\"vcpus\": " + vcpus);
    }
    if (memoryMiB != null) {
      parts.add("\"memoryMiB\": " + memoryMiB);
    }
    if (autostart != null) {
      parts.add("\"autostart\": " + autostart);
    }
    return ("{" + String.join(", ", parts) + "}").getBytes(StandardCharsets.UTF_8);
  }
}
