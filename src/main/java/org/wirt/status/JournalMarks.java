package org.wirt.status;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/**
 * What is marked in wirtd's journal (SPEC 4) as a claimed command's outcome is recorded: that it
 * ran, that its history line is written, that all its records are. {@code journal.Journal} is
 * the one implementation.
 */
public interface JournalMarks {

  /** The command ran, with this outcome (as JSON): after a crash it is recorded, not run again. */
  void done(long id, ObjectNode outcome) throws IOException;

  /** Its history line is written: after a crash it is not written twice. */
  void logged(long id) throws IOException;

  /** All its records are written, or it did not run: the journal forgets it. */
  void complete(long id) throws IOException;

  /** How many bytes of command content the journal keeps for it. */
  long contentBytes(long id);
}
