import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Files that must survive a crash or a power loss whole or not at all:
/// outbox records and the journal of open episodes.
public enum DurableFile {
  /// Writes `data` to a temporary file, fsyncs it, renames it over `path`
  /// and fsyncs the directory, so `path` holds either the old content or all
  /// of the new one.
  public static func write(_ data: Data, to path: String) throws(OutboxError) {
    let temporary = path + ".tmp"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    guard fd >= 0 else { throw OutboxError("\(temporary): cannot create (\(String(cString: strerror(errno))))") }
    let written = data.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    let synced = fsync(fd)
    close(fd)
    guard written == data.count, synced == 0 else {
      unlink(temporary)
      throw OutboxError("\(temporary): write failed (disk full?)")
    }
    guard rename(temporary, path) == 0 else {
      unlink(temporary)
      throw OutboxError("\(path): rename failed (\(String(cString: strerror(errno))))")
    }
    let directory = open((path as NSString).deletingLastPathComponent, O_RDONLY | O_CLOEXEC)
    if directory >= 0 {
      fsync(directory)
      close(directory)
    }
  }
}
