package org.wirt.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * The serial consoles wirtd relays and the guests' addresses it watches ({@code console} in
 * {@code wirt.json}).
 *
 * @param runDir where each user's console socket lives, {@code <runDir>/<user>/console.sock}
 * @param idle a console nobody typed into or read from for this long is closed
 * @param total a console is closed after this long, however busy
 * @param sessions at most this many consoles at once, over all users
 * @param logDir where libvirt logs each created VM's serial console, root's own
 * @param addressPoll how often the status of running VMs is read again for new addresses
 */
public record ConsoleConfig(Path runDir, Duration idle, Duration total, int sessions,
    Path logDir, Duration addressPoll) {

  public ConsoleConfig {
    Objects.requireNonNull(runDir, "runDir");
    Objects.requireNonNull(idle, "idle");
    Objects.requireNonNull(total, "total");
    Objects.requireNonNull(logDir, "logDir");
    Objects.requireNonNull(addressPoll, "addressPoll");
  }

  /** The file libvirt logs a domain's serial console to. */
  public Path logFile(String domain) {
    return logDir.resolve(domain + ".log");
  }
}
