package org.wirt.provision;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

/**
 * The format of an image, decided from its first bytes before qemu-img sees it: qemu-img opens an
 * external data file named in a qcow2 header even to print {@code info}, and would interpret a
 * file that looks like another format (a VMDK descriptor names extent files anywhere). So a
 * qcow2 with a backing file or an external data file is refused here, a file in another known
 * format is refused, and anything else is raw.
 */
final class ImageHeader {
  /** As many bytes as the checks read. */
  static final int SIZE = 4096;

  private static final byte[] QCOW = {'Q', 'F', 'I', (byte) 0xfb};
  private static final long INCOMPATIBLE_DATA_FILE = 1L << 2;
  private static final Map<String, String> OTHER_FORMATS = Map.of(
      "QED\0", "qed", "KDMV", "vmdk", "COWD", "vmdk", "# Disk DescriptorFile", "vmdk",
      "conectix", "vpc", "vhdxfile", "vhdx", "LUKS\u00ba\u00be", "luks",
      "WithoutFreeSpace", "parallels", "WithouFreSpacExt", "parallels",
      "Bochs Virtual HD Image", "bochs");

  private ImageHeader() {}

  /**
   * Returns {@code qcow2} or {@code raw} for an image that starts with {@code header}.
   *
   * @throws IllegalArgumentException naming {@code where} and what is wrong
   */
  static String format(byte[] header, String where) {
    if (startsWith(header, QCOW)) {
      if (header.length < 72) {
        throw new IllegalArgumentException(where + " is a truncated qcow2 image (" + header.length
            + " bytes)");
      }
      ByteBuffer b = ByteBuffer.wrap(header);
      int version = b.getInt(4);
      long backingOffset = b.getLong(8);
      int backingSize = b.getInt(16);
      if (backingOffset != 0 || backingSize != 0) {
        throw new IllegalArgumentException(where + " has a backing file; "
            + QemuImg.SELF_CONTAINED);
      }
      if (version >= 3 && header.length >= 80
          && (b.getLong(72) & INCOMPATIBLE_DATA_FILE) != 0) {
        throw new IllegalArgumentException(where + " has an external data file; "
            + QemuImg.SELF_CONTAINED);
      }
      return "qcow2";
    }
    for (Map.Entry<String, String> other : OTHER_FORMATS.entrySet()) {
      if (startsWith(header, other.getKey().getBytes(StandardCharsets.ISO_8859_1))) {
        throw new IllegalArgumentException(where + " is a " + other.getValue() + " image; wirt "
            + "takes qcow2 or raw (convert with `qemu-img convert -O qcow2 " + where
            + " image.qcow2`)");
      }
    }
    if (header.length >= 0x44 && ByteBuffer.wrap(header, 0x40, 4)
        .order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt() == 0xbeda107f) {
      throw new IllegalArgumentException(where + " is a vdi image; wirt takes qcow2 or raw "
          + "(convert with `qemu-img convert -O qcow2 " + where + " image.qcow2`)");
    }
    return "raw";
  }

  private static boolean startsWith(byte[] header, byte[] magic) {
    return header.length >= magic.length
        && Arrays.equals(header, 0, magic.length, magic, 0, magic.length);
  }
}
