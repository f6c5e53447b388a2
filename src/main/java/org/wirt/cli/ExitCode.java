package org.wirt.cli;

/** How a program ended. */
public enum ExitCode {
  OK(0), FAILED(1), USAGE(2), CONFIG(3), UNAVAILABLE(4), REFUSED(5), TIMEOUT(6);

  private final int code;

  ExitCode(int code) {
    this.code = code;
  }

  public int code() {
    return code;
  }
}
