package org.wirt.text;

import ch.qos.logback.classic.pattern.MessageConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * logback's {@code %msg} with {@link SafeText#escape}: a log argument that came from a user (a
 * file name, a libvirt message about their file) cannot start a new line in wirtd's journal or
 * reorder what a reader sees. Registered in {@code logback.xml} as {@code %safeMsg}.
 */
public final class SafeLogMessage extends MessageConverter {
  @Override
  public String convert(ILoggingEvent event) {
    return SafeText.escape(super.convert(event));
  }
}
