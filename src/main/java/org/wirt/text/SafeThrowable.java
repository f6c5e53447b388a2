package org.wirt.text;

import ch.qos.logback.classic.pattern.ThrowableProxyConverter;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import java.util.Arrays;

/**
 * logback's {@code %ex} with each exception's message escaped by {@link SafeText#escape}: an
 * exception logged as the last argument may quote a user's file name or a libvirt message about
 * it, which must no more start a new line in wirtd's journal than a log argument may ({@link
 * SafeLogMessage}). Registered in {@code logback.xml} as {@code %safeEx}.
 */
public final class SafeThrowable extends ThrowableProxyConverter {
  @Override
  protected String throwableProxyToString(IThrowableProxy tp) {
    return super.throwableProxyToString(new Escaped(tp));
  }

  /** The exception as it was, but its message and those of its causes escaped. */
  private record Escaped(IThrowableProxy proxy) implements IThrowableProxy {
    @Override
    public String getMessage() {
      String message = proxy.getMessage();
      return message == null ? null : SafeText.escape(message);
    }

    @Override
    public String getClassName() {
      return proxy.getClassName();
    }

    @Override
    public StackTraceElementProxy[] getStackTraceElementProxyArray() {
      return proxy.getStackTraceElementProxyArray();
    }

    @Override
    public int getCommonFrames() {
      return proxy.getCommonFrames();
    }

    @Override
    public IThrowableProxy getCause() {
      return proxy.getCause() == null ? null : new Escaped(proxy.getCause());
    }

    @Override
    public IThrowableProxy[] getSuppressed() {
      IThrowableProxy[] suppressed = proxy.getSuppressed();
      return suppressed == null ? null
          : Arrays.stream(suppressed).map(Escaped::new).toArray(IThrowableProxy[]::new);
    }

    @Override
    public boolean isCyclic() {
      return proxy.isCyclic();
    }
  }
}
