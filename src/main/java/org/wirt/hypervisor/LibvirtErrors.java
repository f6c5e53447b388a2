package org.wirt.hypervisor;

import java.util.Locale;
import java.util.Set;
import org.libvirt.Error;
import org.libvirt.Error.ErrorDomain;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.LibvirtException;

/** Turns libvirt's errors into {@link HypervisorException}s that say what wirt was doing. */
final class LibvirtErrors {
  private static final Set<ErrorNumber> CONNECTION_CODES =
      Set.of(ErrorNumber.VIR_ERR_NO_CONNECT, ErrorNumber.VIR_ERR_INVALID_CONN, ErrorNumber.VIR_ERR_RPC);

  private static final Set<ErrorDomain> TRANSPORT_DOMAINS =
      Set.of(ErrorDomain.VIR_FROM_RPC, ErrorDomain.VIR_FROM_REMOTE);

  private LibvirtErrors() {}

  /** Returns an exception whose message is {@code "<attempt>: <libvirt's message>"}. */
  static HypervisorException failure(String attempt, LibvirtException e) {
    return failure(attempt, e.getError(), e);
  }

  static HypervisorException failure(String attempt, Error error, Throwable cause) {
    String message = error == null || error.getMessage() == null ? "unknown libvirt error" : error.getMessage();
    return new HypervisorException(attempt + ": " + message, unreachable(error), cause);
  }

  /** Returns true when the error says the connection to libvirt is gone, not that a call was refused. */
  static boolean unreachable(Error error) {
    if (error == null) {
      return false;
    }
    ErrorNumber code = error.getCode();
    if (CONNECTION_CODES.contains(code)) {
      return true;
    }
    // A system error also reports e.g. a missing kernel file on start; only a transport's is a lost link.
    boolean transport =
        (code == ErrorNumber.VIR_ERR_SYSTEM_ERROR || code == ErrorNumber.VIR_ERR_INTERNAL_ERROR)
            && TRANSPORT_DOMAINS.contains(error.getDomain());
    String message = error.getMessage() == null ? "" : error.getMessage().toLowerCase(Locale.ROOT);
    return transport
        || message.contains("client socket is closed")
        || message.contains("connection closed")
        || message.contains("end of file while reading data");
  }

  /** Work on libvirt that {@link #during} runs. */
  @FunctionalInterface
  interface Work<T> {
    T run() throws LibvirtException, HypervisorException;
  }

  /** Runs {@code work}; a libvirt error becomes a {@link #failure} of {@code attempt}. */
  static <T> T during(String attempt, Work<T> work) throws HypervisorException {
    try {
      return work.run();
    } catch (LibvirtException e) {
      throw failure(attempt, e);
    }
  }

  static boolean is(LibvirtException e, ErrorNumber code) {
    return e.getError() != null && e.getError().getCode() == code;
  }
}
