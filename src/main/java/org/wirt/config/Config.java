package org.wirt.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.wirt.text.Fields;

/**
 * The daemon's configuration, {@code /etc/wirt/wirt.json} (SPEC 9), with every default applied.
 * Built once by {@link ConfigLoader}; immutable.
 *
 * @param users an explicit map from user name to home directory that replaces the group's members
 *     from NSS (tests and the demo); empty means "use NSS"
 * @param legacyTreeDir the old cron script's directory in each home ({@code virsh}), whose {@code
 *     dom-<vm>/<verb>} files are served like {@code command/vm/<vm>/<verb>}; null: not served
 */
public record Config(
    String group,
    String adminGroup,
    String treeDir,
    String libvirtUri,
    String domainNamePattern,
    int sweepIntervalSeconds,
    int membersRefreshSeconds,
    int workers,
    int maxCommandBytes,
    Path stateDir,
    Path logDir,
    MailConfig mail,
    QuotaConfig quotas,
    ImagesConfig images,
    LimitsConfig limits,
    ConsoleConfig console,
    MetricsConfig metrics,
    Map<String, Path> users,
    String legacyTreeDir,
    DomainsConfig domains) {

  public Config {
    Fields.requireNonNull("group adminGroup treeDir libvirtUri domainNamePattern stateDir logDir mail"
        + " quotas images limits console metrics domains", group, adminGroup, treeDir, libvirtUri,
        domainNamePattern, stateDir, logDir, mail, quotas, images, limits, console, metrics,
        domains);
    users = Map.copyOf(users);
  }

  /** Returns the old layout's directory ({@code virsh}) if serving it is on. */
  public Optional<String> legacyTree() {
    return Optional.ofNullable(legacyTreeDir);
  }

  public Duration sweepInterval() {
    return Duration.ofSeconds(sweepIntervalSeconds);
  }

  public Duration membersRefresh() {
    return Duration.ofSeconds(membersRefreshSeconds);
  }

  /** Returns the explicit user map, if the configuration has one. */
  public Optional<Map<String, Path>> explicitUsers() {
    return users.isEmpty() ? Optional.empty() : Optional.of(users);
  }

  /** Returns this configuration with another user map, state and log directory, and the consoles beside them (the demo). */
  public Config withDemo(String uri, Map<String, Path> demoUsers, Path state, Path logs) {
    return new Config(group, adminGroup, treeDir, uri, domainNamePattern, sweepIntervalSeconds,
        membersRefreshSeconds, workers, maxCommandBytes, state, logs, mail, quotas, images,
        limits, new ConsoleConfig(state.resolveSibling("run"), console.idle(), console.total(),
            console.sessions(), logs.resolve("console"), console.addressPoll()), metrics,
        demoUsers, legacyTreeDir, domains);
  }
}
