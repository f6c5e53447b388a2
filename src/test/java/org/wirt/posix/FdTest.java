package org.wirt.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FdTest {
  @TempDir Path dir;

  @Test
  void openAtWithNofollowRefusesASymlinkWithEloop() throws Exception {
    Files.writeString(dir.resolve("target"), "x");
    Files.createSymbolicLink(dir.resolve("link"), dir.resolve("target"));
    try (Fd d = Fd.open(dir.toString(), Fd.O_RDONLY | Fd.O_DIRECTORY | Fd.O_CLOEXEC, 0)) {
      ErrnoException e = assertThrows(ErrnoException.class,
          () -> d.openAt(bytes("link"), Fd.O_RDONLY | Fd.O_NOFOLLOW | Fd.O_CLOEXEC, 0, "dir/link"));
      assertEquals(ErrnoException.ELOOP, e.errno());
      assertTrue(e.getMessage().startsWith("open dir/link: ELOOP"), e.getMessage());
      assertTrue(d.statAt(bytes("link"), "dir/link").isSymlink());
    }
  }

  @Test
  void listsRawNamesAndStatsTheOpenDescriptor() throws Exception {
    Files.writeString(dir.resolve("a"), "hello");
    try (Fd d = Fd.open(dir.toString(), Fd.O_RDONLY | Fd.O_DIRECTORY | Fd.O_CLOEXEC, 0)) {
      d.mkdirAt(bytes("sub"), 0700, "dir/sub");
      assertEquals(2, d.list().size());
      try (Fd f = d.openAt(bytes("a"), Fd.O_RDONLY | Fd.O_NOFOLLOW | Fd.O_CLOEXEC, 0, "dir/a")) {
        Stat st = f.stat();
        assertTrue(st.isRegular());
        assertEquals(5, st.size());
        assertEquals(1, st.nlink());
        assertEquals(Files.getLastModifiedTime(dir.resolve("a")).toMillis(), st.mtimeNanos() / 1_000_000);
        byte[] buf = new byte[10];
        assertEquals(5, f.read(buf, 0, 10));
        assertEquals(0, f.read(buf, 0, 10));
      }
      ErrnoException e = assertThrows(ErrnoException.class,
          () -> d.renameAt(bytes("a"), d, bytes("sub"), Fd.RENAME_NOREPLACE, "dir/a"));
      assertEquals("EEXIST", e.errnoName());
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
