package org.wirt.journal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.status.JournalMarks;

/**
 * wirtd's journal of claimed commands, {@code <stateDir>/journal.log} (SPEC 4): nothing is lost
 * and nothing runs twice across a crash or {@code kill -9}.
 *
 * <p>A command goes through four marks, each one JSON line:
 *
 * <ol>
 *   <li>{@code claim}, written and fsync'd before the command file is removed from the user's tree,
 *       with everything needed to reconcile it later (who, which domain, the verb, the content);
 *   <li>{@code done}, with the outcome, fsync'd after the command ran and before anything is
 *       recorded, so the outcome itself cannot be lost;
 *   <li>{@code logged}, right after the history line is written;
 *   <li>{@code complete}, once every other record is written.
 * </ol>
 *
 * On start, a claim without {@code done} was interrupted and must be reconciled against libvirt;
 * one with {@code done} but without {@code logged} or {@code complete} has its records written
 * again from the journaled outcome. The journal is rewritten with only open entries when it grows
 * past {@link #COMPACT_AT_BYTES}, so it stays small. Open entries are bounded per user: a user
 * whose records wait past {@code limits.pendingRecords} gets no new command claimed, and a record
 * that cannot be written is given up after {@code limits.recordAttempts} or {@code
 * recordGiveUpMinutes}, its entry completed (the daemon's StatusKeeper), so compaction never
 * carries an entry forever.
 */
public final class Journal implements JournalMarks, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Journal.class);
  static final long COMPACT_AT_BYTES = 1 << 20;

  private final Path file;
  private final Map<Long, Entry> open = new LinkedHashMap<>();
  private final List<Entry> recovered;
  private FileChannel channel;
  private long nextId;
  private long size;
  /** Lines written (under this object's lock) and lines known durable (under {@link #syncLock}). */
  private long written;
  private long durable;
  private boolean compactDue;
  /**
   * Held while fsync'ing, so one fsync covers every line written before it (group commit): the
   * workers that waited find their lines durable already. Taken before this object's lock, never
   * after it.
   */
  private final Object syncLock = new Object();

  /** What the journal knows of one claimed command. */
  public record Entry(Claim claim, ObjectNode outcome, boolean logged) {}

  /**
   * A claimed command: what reconciling it after a crash needs.
   *
   * @param file the command file's name as displayed (escaped)
   * @param dev the command file's device, to recognise it if it was not yet removed
   * @param ino the command file's inode
   * @param content the command file's bytes
   */
  public record Claim(
      long id,
      String user,
      int uid,
      String vm,
      String domain,
      String uuid,
      String verb,
      String tag,
      String file,
      long dev,
      long ino,
      byte[] content,
      String claimed) {
    public Claim {
      Objects.requireNonNull(user, "user");
      Objects.requireNonNull(vm, "vm");
      Objects.requireNonNull(verb, "verb");
      content = content.clone();
    }

    @Override
    public byte[] content() {
      return content.clone();
    }
  }

  private Journal(Path file, List<Entry> recovered, long nextId) {
    this.file = file;
    this.recovered = List.copyOf(recovered);
    this.nextId = nextId;
  }

  /**
   * Reads the journal in {@code stateDir}, keeps what is still open for {@link #recovered()}, and
   * starts a fresh file holding only those entries.
   */
  public static Journal open(Path stateDir) throws IOException {
    Files.createDirectories(stateDir);
    Path file = stateDir.resolve("journal.log");
    Map<Long, Entry> entries = new LinkedHashMap<>();
    long maxId = 0;
    if (Files.exists(file)) {
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        JsonNode n;
        try {
          n = JournalLines.JSON.readTree(line);
        } catch (IOException e) {
          // The last line of a crash may be torn; a torn claim was never followed by removing
          // the command file, so the file is still there and will be taken again.
          log.warn("journal line ignored file={}", file, e);
          continue;
        }
        long id = n.path("id").asLong();
        maxId = Math.max(maxId, id);
        switch (n.path("op").asText()) {
          case "claim" -> entries.put(id, new Entry(JournalLines.claim(n), null, false));
          case "done" -> entries.computeIfPresent(id,
              (k, e) -> new Entry(e.claim(), (ObjectNode) n.get("outcome"), false));
          case "logged" -> entries.computeIfPresent(id,
              (k, e) -> new Entry(e.claim(), e.outcome(), true));
          case "complete" -> entries.remove(id);
          default -> log.warn("journal line with unknown op ignored file={}", file);
        }
      }
    }
    Journal journal = new Journal(file, new ArrayList<>(entries.values()), maxId + 1);
    journal.open.putAll(entries);
    journal.rewrite();
    if (!entries.isEmpty()) {
      log.info("journal has open entries count={} file={}", entries.size(), file);
    }
    return journal;
  }

  /** Returns the entries that were open when the journal was opened: interrupted work. */
  public List<Entry> recovered() {
    return recovered;
  }

  /** Returns the size of the command content an open entry holds, 0 if it is not open. */
  @Override
  public synchronized long contentBytes(long id) {
    Entry e = open.get(id);
    return e == null ? 0 : e.claim().content.length;
  }

  /** Returns the journal file's size now, in bytes. */
  public synchronized long sizeBytes() {
    return size;
  }

  /** Returns how many entries are open now. */
  public synchronized int openCount() {
    return open.size();
  }

  /**
   * Claims a command: durable before this returns.
   *
   * @return the claim with its id
   */
  public Claim claim(String user, int uid, String vm, String domain, String uuid,
      String verb, String tag, String fileName, long dev, long ino, byte[] content, String time)
      throws IOException {
    Claim c;
    long line;
    synchronized (this) {
      c = new Claim(nextId++, user, uid, vm, domain, uuid, verb, tag, fileName, dev, ino,
          content, time);
      line = append(JournalLines.claim(c));
      open.put(c.id(), new Entry(c, null, false));
    }
    sync(line);
    return c;
  }

  /** Records the outcome of a claimed command: durable before this returns. */
  @Override
  public void done(long id, ObjectNode outcome) throws IOException {
    long line;
    synchronized (this) {
      ObjectNode n = JournalLines.mark("done", id);
      n.set("outcome", outcome);
      line = append(n);
      open.computeIfPresent(id, (k, e) -> new Entry(e.claim(), outcome, false));
    }
    sync(line);
  }

  /** Notes that the history line of a command is written. */
  @Override
  public synchronized void logged(long id) throws IOException {
    append(JournalLines.mark("logged", id));
    open.computeIfPresent(id, (k, e) -> new Entry(e.claim(), e.outcome(), true));
  }

  /** Notes that every record of a command is written; the entry is closed. */
  @Override
  public void complete(long id) throws IOException {
    synchronized (this) {
      append(JournalLines.mark("complete", id));
      open.remove(id);
      compactDue |= size > COMPACT_AT_BYTES;
    }
    compactIfDue();
  }

  /** Returns once line number {@code line} is on disk, fsync'ing unless another did already. */
  private void sync(long line) throws IOException {
    synchronized (syncLock) {
      if (durable >= line) {
        return;
      }
      long upTo;
      FileChannel ch;
      synchronized (this) {
        upTo = written;
        ch = channel;
      }
      ch.force(false);
      durable = upTo;
    }
  }

  private void compactIfDue() throws IOException {
    synchronized (syncLock) {
      synchronized (this) {
        if (compactDue) {
          compactDue = false;
          rewrite();
          durable = written;
        }
      }
    }
  }

  /** Writes one line (not yet durable) and returns its number for {@link #sync}. */
  private long append(ObjectNode n) throws IOException {
    ByteBuffer line = ByteBuffer.wrap((JournalLines.JSON.writeValueAsString(n) + "\n")
        .getBytes(StandardCharsets.UTF_8));
    size += line.remaining();
    while (line.hasRemaining()) {
      channel.write(line);
    }
    return ++written;
  }

  /** Writes a new journal with only the open entries, then swaps it in atomically. */
  private void rewrite() throws IOException {
    Path temp = file.resolveSibling(file.getFileName() + ".new");
    Files.deleteIfExists(temp);
    if (channel != null) {
      channel.close();
    }
    channel = FileChannel.open(temp, java.util.Set.of(StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE, StandardOpenOption.APPEND),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    size = 0;
    for (Entry e : open.values()) {
      Claim c = e.claim();
      append(JournalLines.claim(c));
      if (e.outcome() != null) {
        ObjectNode d = JournalLines.mark("done", c.id());
        d.set("outcome", e.outcome());
        append(d);
      }
      if (e.logged()) {
        append(JournalLines.mark("logged", c.id()));
      }
    }
    channel.force(false);
    Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
      dir.force(true);
    }
  }

  @Override
  public synchronized void close() throws IOException {
    channel.close();
  }
}
