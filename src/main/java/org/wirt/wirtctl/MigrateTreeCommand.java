package org.wirt.wirtctl;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.wirt.cli.Cli;
import org.wirt.cli.ExitCode;
import org.wirt.command.Names;
import org.wirt.config.Config;
import org.wirt.posix.Nss;
import org.wirt.tree.HomeTree;
import org.wirt.tree.Identity;
import org.wirt.tree.LegacyMigration;
import org.wirt.tree.LegacyTree;
import org.wirt.users.GroupMembers;
import org.wirt.users.Member;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Parameters;

/**
 * {@code wirtctl migrate-tree <user> [--dry-run]} (issue 15): moves a user from the old cron
 * script's {@code ~/virsh/dom-<vm>/} to {@code ~/wirt/command/vm/<vm>/}.
 *
 * <p>It runs as root, possibly for an admin through sudo, so it takes nothing but the user's name
 * from its caller (SPEC 8): the home comes from the configuration's {@code users} or from NSS for
 * a member of the group, the directory names from the configuration, and every file operation
 * runs with the user's own filesystem identity ({@link LegacyTree#migrate}), without following a
 * link. Root's own home is never migrated.
 */
@Command(name = "migrate-tree", mixinStandardHelpOptions = true,
    description = {"Moves a user from the old cron script's ~/virsh to ~/wirt.",
        "As that user: creates ~/wirt if missing, moves each pending",
        "~/virsh/dom-<vm>/<verb> to ~/wirt/command/vm/<vm>/<verb> keeping its time",
        "(never replacing a file), then renames ~/virsh to ~/virsh.migrated with its",
        "history and logs, so that wirtd no longer serves it."})
final class MigrateTreeCommand implements Callable<Integer> {
  /** The old directory's name when {@code legacyTreeDir} is not set: the cron script's. */
  static final String DEFAULT_LEGACY_DIR = "virsh";

  @ParentCommand WirtctlCommand parent;
  @Parameters(index = "0", paramLabel = "<user>", description = "the user to migrate") String user;
  @Option(names = "--dry-run", description = "say what would be done, change nothing") boolean dryRun;

  @Override
  public Integer call() throws Cli.Exit {
    Config cfg = parent.config();
    if (!user.matches("[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}\\$?")) {
      parent.err.println("wirtctl migrate-tree: '" + user + "' is not a user name");
      return ExitCode.USAGE.code();
    }
    Optional<Member> member;
    try {
      member = member(cfg);
    } catch (IOException e) {
      parent.err.println("wirtctl migrate-tree: cannot read the members: " + e.getMessage());
      return ExitCode.FAILED.code();
    }
    if (member.isEmpty()) {
      parent.err.println("wirtctl migrate-tree: " + user + " is not served by wirt ("
          + (cfg.explicitUsers().isPresent() ? "not in the configuration's users"
              : "not a member of group " + cfg.group()) + "); nothing done");
      return ExitCode.FAILED.code();
    }
    if (member.get().uid() == 0) {
      parent.err.println("wirtctl migrate-tree: " + user + " is root; root's home is never migrated");
      return ExitCode.USAGE.code();
    }
    String dir = cfg.legacyTree().orElse(DEFAULT_LEGACY_DIR);
    HomeTree tree = new HomeTree(member.get().identity(), member.get().home(), cfg.treeDir(),
        Clock.systemUTC(), dir);
    LegacyMigration.Report report;
    try {
      report = tree.legacy().orElseThrow().migrate(Names::isVm, dryRun);
    } catch (IOException e) {
      parent.err.println("wirtctl migrate-tree: " + e.getMessage() + "; nothing more done");
      return ExitCode.FAILED.code();
    }
    report.lines().forEach(parent.out::println);
    if (report.left() > 0) {
      parent.err.println("wirtctl migrate-tree: " + report.left() + " pending command"
          + (report.left() == 1 ? " was" : "s were") + " not moved; ~" + user + "/" + dir
          + " stays" + (cfg.legacyTree().isPresent() ? " and is still served" : "")
          + "; see above, then run migrate-tree again");
      return ExitCode.FAILED.code();
    }
    parent.out.println((dryRun ? "dry run: " : "") + report.moved() + " command"
        + (report.moved() == 1 ? "" : "s") + (dryRun ? " would be" : "") + " moved for " + user);
    return ExitCode.OK.code();
  }

  /** The served user named {@code user}: from the configuration's users, or the group's members. */
  private Optional<Member> member(Config cfg) throws IOException {
    Nss nss = Nss.system();
    if (cfg.explicitUsers().isPresent()) {
      Path home = cfg.explicitUsers().get().get(user);
      if (home == null) {
        return Optional.empty();
      }
      return nss.user(user).map(p -> new Member(new Identity(p.name(), p.uid(), p.gid(),
          nss.groupList(p.name(), p.gid())), home));
    }
    return new GroupMembers(nss, cfg.group()).current().stream()
        .filter(m -> m.name().equals(user)).findFirst();
  }
}
