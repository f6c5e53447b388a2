package org.wirt.desired;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.command.Refusal;
import org.wirt.tree.HomeTree;
import org.wirt.tree.ReadResult;

/**
 * What a VM's {@code command/vm/<vm>/settings.json} holds, read as the user by the rules of a
 * command file ({@link HomeTree#readSettings}): its hash (what wirtd's memory of it is keyed by),
 * and either its settings or what is wrong with it and what is accepted.
 *
 * @param hash the content's SHA-256, or {@code unreadable:<why>} for a file that was not read
 * @param settings the settings, or null if the file cannot be used
 * @param problem what is wrong and what is accepted, or null
 */
record SettingsFile(String hash, DesiredSettings settings, String problem) {
  private static final Logger log = LoggerFactory.getLogger(SettingsFile.class);

  /** Reads the file; empty if there is none (or it cannot be looked at now: the next look will). */
  static Optional<SettingsFile> read(HomeTree tree, String vm, int maxBytes) {
    String where = "command/vm/" + vm + "/" + HomeTree.SETTINGS_FILE;
    ReadResult result;
    try {
      result = tree.readSettings(vm, maxBytes);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      log.debug("cannot read user={} file={}", tree.identity().user(), where, e);
      return Optional.empty();
    }
    if (result instanceof ReadResult.Refused refused) {
      // A link, a FIFO, a hard link, too large: never opened for reading, left where it is.
      return Optional.of(new SettingsFile("unreadable:" + refused.problem(), null,
          where + " " + refused.problem() + "; it is left in place and not applied"));
    }
    byte[] bytes = ((ReadResult.Content) result).bytes();
    String hash = sha256(bytes);
    try {
      return Optional.of(new SettingsFile(hash, SettingsParser.parse(bytes), null));
    } catch (Refusal r) {
      return Optional.of(new SettingsFile(hash, null,
          where + ": " + r.getMessage() + "; it is left in place and not applied"));
    }
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
