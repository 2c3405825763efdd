#if canImport(Glibc)
  import Glibc
#endif

/// Resident set size from /proc, for stats, benchmarks and leak checks.
public enum ResidentMemory {
  /// Bytes resident for `pid` (this process by default); 0 if unknown.
  public static func bytes(pid: Int32? = nil) -> Int {
    let path = pid.map { "/proc/\($0)/statm" } ?? "/proc/self/statm"
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return 0 }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 128)
    let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
    guard count > 0 else { return 0 }
    // statm: size resident shared text lib data dt (in pages)
    let fields = buffer[..<count].split(separator: UInt8(ascii: " "))
    guard fields.count > 1, let pages = Int(String(decoding: fields[1], as: UTF8.self)) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
  }

  public static var mebibytes: Double { Double(bytes()) / 1_048_576 }

  /// The most this process has had resident (VmHWM of /proc/self/status), in MiB; 0 if unknown.
  public static var peakMebibytes: Double {
    let fd = open("/proc/self/status", O_RDONLY)
    guard fd >= 0 else { return 0 }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 4096)
    let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
    guard count > 0 else { return 0 }
    let text = String(decoding: buffer[..<count], as: UTF8.self)
    guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
      let kib = Double(line.split(separator: " ").dropFirst().first ?? "")
    else { return 0 }
    return kib / 1024
  }
}
