package org.wirt.hypervisor;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.lang.reflect.Field;
import org.libvirt.Error;
import org.libvirt.Network;
import org.libvirt.jna.NetworkPointer;
import org.libvirt.jna.virError;

/**
 * {@code virNetworkUpdate}, which libvirt-java 0.5.3 lacks: acts on the {@code virNetworkPtr} that
 * libvirt-java's {@link Network} holds in a package-private field (as {@link NativeDomain} does for
 * domains).
 */
final class NativeNetwork {
  static final int COMMAND_DELETE = 2;
  static final int COMMAND_ADD_LAST = 3;
  static final int SECTION_DNS_HOST = 10;
  static final int AFFECT_LIVE = 1;
  static final int AFFECT_CONFIG = 2;

  interface Api extends Library {
    int virNetworkUpdate(NetworkPointer network, int command, int section, int parentIndex,
        String xml, int flags);

    virError virGetLastError();
  }

  private static final Api API = Native.load("virt", Api.class);
  private static final Field POINTER = pointerField();

  private NativeNetwork() {}

  /** Calls {@code virNetworkUpdate(network, command, section, -1, xml, flags)}. */
  static void update(Network network, int command, int section, String xml, int flags)
      throws NativeDomain.NativeCallException {
    if (API.virNetworkUpdate(pointer(network), command, section, -1, xml, flags) < 0) {
      virError error = API.virGetLastError();
      throw new NativeDomain.NativeCallException(error == null ? null : new Error(error));
    }
  }

  private static NetworkPointer pointer(Network network) {
    try {
      NetworkPointer pointer = (NetworkPointer) POINTER.get(network);
      if (pointer == null) {
        throw new IllegalStateException("network object already freed");
      }
      return pointer;
    } catch (IllegalAccessException e) {
      throw new IllegalStateException("cannot read libvirt-java's Network.vnp", e);
    }
  }

  private static Field pointerField() {
    try {
      Field field = Network.class.getDeclaredField("vnp");
      field.setAccessible(true);
      return field;
    } catch (NoSuchFieldException e) {
      throw new ExceptionInInitializerError(
          "libvirt-java's Network has no field vnp; NativeNetwork needs updating for this version");
    }
  }
}
