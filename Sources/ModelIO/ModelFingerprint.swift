import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A short identity of the model files a saved temporal state belongs to: a
/// state is only meaningful for the embeddings and the weights that produced
/// it. Small files (configurations, temporal weights) are hashed whole; a
/// large checkpoint by its safetensors header and 16 evenly spaced 64 KB
/// samples, which tells apart fine-tunes of one architecture in a few
/// milliseconds instead of reading gigabytes at every start. 64-bit FNV-1a:
/// this guards against operator mistakes, not an adversary.
public enum ModelFingerprint {
  static let wholeFileLimit = 16 << 20
  static let samples = 16
  static let sampleBytes = 64 << 10

  /// The fingerprint of `files` (missing files count as empty), in hex.
  public static func of(_ files: [String]) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    func mix(_ bytes: UnsafeRawBufferPointer) {
      for byte in bytes {
        hash ^= UInt64(byte)
        hash = hash &* 0x100_0000_01b3
      }
    }
    for file in files {
      withUnsafeBytes(of: UInt64(file.split(separator: "/").last?.utf8.count ?? 0)) { mix($0) }
      for chunk in sampledContents(file) { chunk.withUnsafeBytes { mix($0) } }
    }
    return String(hash, radix: 16)
  }

  /// The whole file when small; else its first 1 MB (the header) and samples.
  private static func sampledContents(_ path: String) -> [Data] {
    guard let handle = FileHandle(forReadingAtPath: path) else { return [] }
    defer { try? handle.close() }
    let size = (try? handle.seekToEnd()).map(Int.init) ?? 0
    guard size > wholeFileLimit else {
      try? handle.seek(toOffset: 0)
      return [(try? handle.readToEnd()) ?? Data()]
    }
    let offsets = [0] + (1...samples).map { size / (samples + 1) * $0 }
    return offsets.map { offset in
      try? handle.seek(toOffset: UInt64(offset))
      return (try? handle.read(upToCount: offset == 0 ? 1 << 20 : sampleBytes)) ?? Data()
    }
  }
}
