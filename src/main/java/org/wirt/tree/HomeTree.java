package org.wirt.tree;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import org.wirt.posix.Inotify;

/** SKELETON: implemented by the tree helper. */
public final class HomeTree {
  public HomeTree(Identity identity, Path home, String treeDir) {}
  public Identity identity() { throw new UnsupportedOperationException(); }
  public Path root() { throw new UnsupportedOperationException(); }
  public boolean exists() throws IOException { throw new UnsupportedOperationException(); }
  public void ensureSkeleton(Collection<String> vms) throws IOException { throw new UnsupportedOperationException(); }
  public List<Entry> listVmDirectories() throws IOException { throw new UnsupportedOperationException(); }
  public List<Entry> listCommands(String vm) throws IOException { throw new UnsupportedOperationException(); }
  public ReadResult readCommand(String vm, EntryName name, int maxBytes) throws IOException { throw new UnsupportedOperationException(); }
  public boolean removeCommand(String vm, EntryName name, FileFacts expected) throws IOException { throw new UnsupportedOperationException(); }
  public String reject(String vm, EntryName name) throws IOException { throw new UnsupportedOperationException(); }
  public void writeFile(String relativePath, byte[] content) throws IOException { throw new UnsupportedOperationException(); }
  public void appendLine(String relativePath, byte[] line, long rotateAtBytes, int keep) throws IOException { throw new UnsupportedOperationException(); }
  public void pruneOldest(String relativeDir, String suffix, int keep) throws IOException { throw new UnsupportedOperationException(); }
  public int addWatch(Inotify inotify, String relativeDir, int mask) throws IOException { throw new UnsupportedOperationException(); }
}
