import Foundation
import Tensor

#if canImport(Glibc)
  import Glibc
#endif

/// A read-only, memory-mapped safetensors file
/// (https://huggingface.co/docs/safetensors: u64 little-endian header length,
/// a JSON header `{name: {dtype, shape, data_offsets: [begin, end]}}`, then the
/// data). The header is validated in full when the file is opened, so a
/// truncated, corrupt or hostile file gives a `ModelError`, never a crash.
public final class SafeTensors: @unchecked Sendable {
  public struct Entry: Sendable, Equatable {
    public var dtype: DType
    public var shape: [Int]
    /// Byte range within the data section.
    public var begin: Int
    public var end: Int
  }

  /// For messages: the path as given.
  public let path: String
  public let entries: [String: Entry]
  /// `__metadata__`: free-form string pairs.
  public let metadata: [String: String]
  private let mapping: UnsafeRawBufferPointer
  private let dataStart: Int

  public init(path: String) throws(ModelError) {
    self.path = path
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { throw ModelError(file: path, String(cString: strerror(errno)).lowercased()) }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw ModelError(file: path, "cannot stat") }
    let size = Int(info.st_size)
    guard size >= 8 else { throw ModelError(file: path, "too short for a safetensors file (\(size) bytes)") }
    guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
      throw ModelError(file: path, "cannot map the file into memory")
    }
    mapping = UnsafeRawBufferPointer(start: base, count: size)
    do {
      let header = try Self.parseHeader(mapping, path: path)
      entries = header.entries
      metadata = header.metadata
      dataStart = header.dataStart
    } catch {
      munmap(base, size)
      throw error
    }
  }

  deinit { munmap(UnsafeMutableRawPointer(mutating: mapping.baseAddress), mapping.count) }

  public var names: [String] { entries.keys.sorted() }

  /// The tensor as F32 (F16 and BF16 are widened). Throws naming the tensor
  /// if it is missing or not a float type.
  public func tensor(_ name: String) throws(ModelError) -> Tensor {
    guard let entry = entries[name] else { throw ModelError(file: path, tensor: name, "missing") }
    let bytes = UnsafeRawBufferPointer(rebasing: mapping[(dataStart + entry.begin)..<(dataStart + entry.end)])
    let count = entry.shape.reduce(1, *)
    var scalars = [Float](repeating: 0, count: count)
    switch entry.dtype {
    case .f32:
      scalars.withUnsafeMutableBytes { $0.copyMemory(from: bytes) }
    case .f16:
      for i in 0..<count {
        scalars[i] = Float(
          Float16(bitPattern: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))))
      }
    case .bf16:
      for i in 0..<count {
        let high = UInt32(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
        scalars[i] = Float(bitPattern: high << 16)
      }
    case .f64:
      for i in 0..<count { scalars[i] = Float(bytes.loadUnaligned(fromByteOffset: 8 * i, as: Double.self)) }
    default:
      throw ModelError(file: path, tensor: name, "dtype \(entry.dtype.rawValue) is not a float type")
    }
    return Tensor(shape: entry.shape, scalars: scalars)
  }

  /// The tensor, checked to have `shape`; the error names both shapes.
  public func tensor(_ name: String, shape: [Int]) throws(ModelError) -> Tensor {
    let tensor = try tensor(name)
    guard tensor.shape == shape else {
      throw ModelError(file: path, tensor: name, "shape \(tensor.shape) does not match the expected \(shape)")
    }
    return tensor
  }
}
