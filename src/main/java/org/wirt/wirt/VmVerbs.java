package org.wirt.wirt;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code wirt start|stop|destroy|reboot|reset|suspend|resume|autostart}: the verbs of a VM's
 * power, each a {@link Sending} named as its verb.
 */
final class VmVerbs {
  private VmVerbs() {}

  @Command(name = "start", description = "Starts the VM.")
  static final class Start extends Sending {}

  @Command(name = "stop", description = {
      "Asks the guest to shut down (ACPI power button) and waits for it;",
      "with --force, destroys it if it has not shut down within the grace time."})
  static final class Stop extends Sending {
    @Option(names = "--force", description = "power off if the guest does not shut down in time")
    boolean force;

    @Option(names = "--grace", paramLabel = "SECONDS",
        description = "how long the guest has to shut down (wirtd's default if not given)")
    Long grace;

    @Override
    String content() {
      List<String> words = new ArrayList<>();
      if (force) {
        words.add("force");
      }
      if (grace != null) {
        words.add("timeout=" + grace);
      }
      return String.join(" ", words);
    }
  }

  @Command(name = "destroy", description = "Powers the VM off at once, like pulling the plug.")
  static final class Destroy extends Sending {}

  @Command(name = "reboot", description = "Asks the guest to reboot.")
  static final class Reboot extends Sending {}

  @Command(name = "reset", description = "Resets the VM at once, like the reset button.")
  static final class Reset extends Sending {}

  @Command(name = "suspend", description = "Pauses the VM (it keeps its memory).")
  static final class Suspend extends Sending {}

  @Command(name = "resume", description = "Resumes a paused VM.")
  static final class Resume extends Sending {}

  @Command(name = "autostart",
      description = "Makes the VM start (on) or not (off) when the host boots.")
  static final class Autostart extends Sending {
    @Parameters(index = "1", paramLabel = "on|off", description = "on or off")
    String setting;

    @Override
    public Integer call() throws Exception {
      setting = onOrOff("autostart", setting);
      return super.call();
    }

    @Override
    String content() {
      return setting;
    }
  }
}
