import Foundation

extension SafeTensors {
  struct Header {
    var entries: [String: Entry]
    var metadata: [String: String]
    var dataStart: Int
  }

  /// Largest header accepted (the format's own reference limit is 100 MB).
  static let maximumHeaderBytes = 100_000_000

  static func parseHeader(_ file: UnsafeRawBufferPointer, path: String) throws(ModelError) -> Header {
    let declared = UInt64(littleEndian: file.loadUnaligned(as: UInt64.self))
    guard declared <= UInt64(maximumHeaderBytes) else {
      throw ModelError(file: path, "header length \(declared) is larger than the \(maximumHeaderBytes)-byte limit")
    }
    let headerLength = Int(declared)
    guard 8 + headerLength <= file.count else {
      throw ModelError(
        file: path, "truncated: header says \(headerLength) bytes but the file has \(file.count - 8) after it")
    }
    let json = Data(file[8..<(8 + headerLength)])
    let table: RawHeader
    do {
      table = try JSONDecoder().decode(RawHeader.self, from: json)
    } catch let problem as RawHeader.Problem {
      throw ModelError(file: path, tensor: problem.tensor, problem.text)
    } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
      throw ModelError(file: path, "header is not valid JSON")
    } catch DecodingError.typeMismatch(_, let context) where context.codingPath.isEmpty {
      throw ModelError(file: path, "header is not a JSON object")
    } catch {
      throw ModelError(file: path, "header is not valid JSON")
    }

    let dataLength = file.count - 8 - headerLength
    var entries: [String: Entry] = [:]
    for (name, raw) in table.entries {
      entries[name] = try validate(raw, name: name, dataLength: dataLength, path: path)
    }
    try checkNoOverlap(entries, path: path)
    return Header(entries: entries, metadata: table.metadata, dataStart: 8 + headerLength)
  }

  private static func validate(_ raw: RawEntry, name: String, dataLength: Int, path: String) throws(ModelError) -> Entry
  {
    guard let dtype = DType(rawValue: raw.dtype) else {
      throw ModelError(file: path, tensor: name, "unknown dtype '\(raw.dtype)'")
    }
    guard raw.shape.allSatisfy({ $0 >= 0 }) else {
      throw ModelError(file: path, tensor: name, "shape \(raw.shape) has a negative dimension")
    }
    guard raw.offsets.count == 2 else {
      throw ModelError(file: path, tensor: name, "data_offsets must be [begin, end]")
    }
    let (begin, end) = (raw.offsets[0], raw.offsets[1])
    guard begin >= 0, begin <= end, end <= dataLength else {
      throw ModelError(
        file: path, tensor: name, "data_offsets [\(begin), \(end)] outside the \(dataLength)-byte data section")
    }
    var elements = 1
    for dimension in raw.shape {
      let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
      guard !overflow, product <= 1 << 48 else {
        throw ModelError(file: path, tensor: name, "shape \(raw.shape) is too large")
      }
      elements = product
    }
    guard elements * dtype.byteSize == end - begin else {
      throw ModelError(
        file: path, tensor: name,
        "shape \(raw.shape) × \(dtype.rawValue) needs \(elements * dtype.byteSize) bytes but data_offsets span \(end - begin)"
      )
    }
    return Entry(dtype: dtype, shape: raw.shape, begin: begin, end: end)
  }

  private static func checkNoOverlap(_ entries: [String: Entry], path: String) throws(ModelError) {
    let sorted = entries.sorted { ($0.value.begin, $0.value.end, $0.key) < ($1.value.begin, $1.value.end, $1.key) }
    for (a, b) in zip(sorted, sorted.dropFirst()) where b.value.begin < a.value.end {
      throw ModelError(file: path, tensor: b.key, "data overlaps tensor '\(a.key)'")
    }
  }
}

/// The header as JSON: tensor entries plus the optional `__metadata__` table.
/// Decoded key by key so an error names the tensor it is about.
private struct RawHeader: Decodable {
  var entries: [String: RawEntry] = [:]
  var metadata: [String: String] = [:]

  struct Problem: Error {
    var tensor: String?
    var text: String
  }

  struct Key: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
  }

  init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: Key.self)
    for key in container.allKeys {
      if key.stringValue == "__metadata__" {
        do {
          metadata = try container.decode([String: String].self, forKey: key)
        } catch {
          throw Problem(tensor: nil, text: "__metadata__ must map strings to strings")
        }
        continue
      }
      do {
        entries[key.stringValue] = try container.decode(RawEntry.self, forKey: key)
      } catch let DecodingError.keyNotFound(missing, _) {
        throw Problem(tensor: key.stringValue, text: "no \(missing.stringValue)")
      } catch {
        throw Problem(
          tensor: key.stringValue, text: "entry must be {dtype: string, shape: [integers], data_offsets: [begin, end]}")
      }
    }
  }
}

private struct RawEntry: Decodable {
  var dtype: String
  var shape: [Int]
  var offsets: [Int]

  enum CodingKeys: String, CodingKey {
    case dtype, shape
    case offsets = "data_offsets"
  }
}
