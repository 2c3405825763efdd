import Core
import Foundation

/// A SentencePiece model file (`spiece.model`, `tokenizer.model`): the
/// `ModelProto` protocol buffer with its pieces, the trainer settings the
/// encoder needs and the normaliser (a precompiled character map). Read with
/// a small wire-format reader of our own: the three messages and nine fields
/// used here do not justify a protobuf runtime, and a bounded reader of
/// untrusted bytes is what the fuzz harness exercises.
public struct SentencePieceModel: Sendable {
  public enum PieceType: Int, Sendable {
    case normal = 1
    case unknown
    case control
    case userDefined
    case unused
    case byte
  }

  public struct Piece: Sendable, Equatable {
    public var text: String
    public var score: Float
    public var type: PieceType
  }

  public enum Algorithm: Int, Sendable {
    case unigram = 1
    case bpe
    case word
    case character
  }

  public var pieces: [Piece] = []
  public var algorithm = Algorithm.unigram
  public var byteFallback = false
  public var whitespaceAsSuffix = false
  /// The normaliser's rules (`nmt_nfkc` and others): a double-array trie and its replacement strings.
  public var charsMap: [UInt8] = []
  public var addDummyPrefix = true
  public var removeExtraWhitespaces = true
  public var escapeWhitespaces = true

  /// The id of the `<unk>` piece.
  public var unknownID: Int32 { Int32(pieces.firstIndex { $0.type == .unknown } ?? 0) }

  public init(path: String) throws(ModelError) {
    guard let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int else {
      throw ModelError(file: path, "cannot read")
    }
    guard size <= Limits.Model.tokenizerFileBytes else {
      throw ModelError(
        file: path, "is \(size) bytes, more than a tokenizer model may be (\(Limits.Model.tokenizerFileBytes))")
    }
    guard let data = FileManager.default.contents(atPath: path) else { throw ModelError(file: path, "cannot read") }
    try self.init(bytes: [UInt8](data), path: path)
  }

  /// Parses `bytes`; errors name `path`.
  public init(bytes: [UInt8], path: String) throws(ModelError) {
    var reader = WireReader(bytes: bytes[...])
    do throws(WireError) {
      while let (field, value) = try reader.next() {
        switch (field, value) {
        case (1, .bytes(let message)):
          guard pieces.count < Limits.Model.vocabulary else {
            throw WireError("more than \(Limits.Model.vocabulary) pieces")
          }
          pieces.append(try Self.piece(message))
        case (2, .bytes(let message)): try readTrainerSpec(message)
        case (3, .bytes(let message)): try readNormalizerSpec(message)
        default: break
        }
      }
    } catch {
      throw ModelError(file: path, "not a SentencePiece model (\(error.reason))")
    }
    guard !pieces.isEmpty else { throw ModelError(file: path, "has no pieces") }
    guard pieces.filter({ $0.type == .unknown }).count == 1 else {
      throw ModelError(file: path, "must define exactly one unknown piece (<unk>)")
    }
    if let empty = pieces.firstIndex(where: { $0.text.isEmpty }) {
      throw ModelError(file: path, "piece \(empty) is empty")
    }
  }

  private static func piece(_ message: ArraySlice<UInt8>) throws(WireError) -> Piece {
    var piece = Piece(text: "", score: 0, type: .normal)
    var reader = WireReader(bytes: message)
    while let (field, value) = try reader.next() {
      switch (field, value) {
      case (1, .bytes(let text)):
        guard let string = String(validating: text, as: UTF8.self) else { throw WireError("a piece is not UTF-8") }
        piece.text = string
      case (2, .fixed32(let bits)):
        piece.score = Float(bitPattern: bits)
        guard piece.score.isFinite else { throw WireError("a piece's score is not finite") }
      case (3, .varint(let type)):
        guard let known = PieceType(rawValue: Int(truncatingIfNeeded: type)) else {
          throw WireError("piece type \(type) is unknown")
        }
        piece.type = known
      default: break
      }
    }
    return piece
  }

  private mutating func readTrainerSpec(_ message: ArraySlice<UInt8>) throws(WireError) {
    var reader = WireReader(bytes: message)
    while let (field, value) = try reader.next() {
      switch (field, value) {
      case (3, .varint(let type)):
        guard let known = Algorithm(rawValue: Int(truncatingIfNeeded: type)) else {
          throw WireError("model_type \(type) is unknown")
        }
        algorithm = known
      case (24, .varint(let flag)): whitespaceAsSuffix = flag != 0
      case (35, .varint(let flag)): byteFallback = flag != 0
      default: break
      }
    }
  }

  private mutating func readNormalizerSpec(_ message: ArraySlice<UInt8>) throws(WireError) {
    var reader = WireReader(bytes: message)
    while let (field, value) = try reader.next() {
      switch (field, value) {
      case (2, .bytes(let map)): charsMap = Array(map)
      case (3, .varint(let flag)): addDummyPrefix = flag != 0
      case (4, .varint(let flag)): removeExtraWhitespaces = flag != 0
      case (5, .varint(let flag)): escapeWhitespaces = flag != 0
      default: break
      }
    }
  }
}

struct WireError: Error {
  let reason: String
  init(_ reason: String) { self.reason = reason }
}

/// Protocol-buffer wire format: (field number, value) pairs, every length
/// checked against what is left.
struct WireReader {
  enum Value {
    case varint(UInt64)
    case fixed64(UInt64)
    case bytes(ArraySlice<UInt8>)
    case fixed32(UInt32)
  }

  var bytes: ArraySlice<UInt8>

  mutating func next() throws(WireError) -> (Int, Value)? {
    guard !bytes.isEmpty else { return nil }
    let key = try varint()
    let field = Int(truncatingIfNeeded: key >> 3)
    switch key & 7 {
    case 0: return (field, .varint(try varint()))
    case 1: return (field, .fixed64(UInt64(littleEndianBytes: try take(8))))
    case 2:
      let length = try varint()
      guard length <= UInt64(bytes.count) else { throw WireError("a field runs past the end") }
      return (field, .bytes(try take(Int(length))))
    case 5: return (field, .fixed32(UInt32(truncatingIfNeeded: UInt64(littleEndianBytes: try take(4)))))
    default: throw WireError("wire type \(key & 7) is not supported")
    }
  }

  private mutating func take(_ count: Int) throws(WireError) -> ArraySlice<UInt8> {
    guard count <= bytes.count else { throw WireError("a field runs past the end") }
    defer { bytes = bytes.dropFirst(count) }
    return bytes.prefix(count)
  }

  private mutating func varint() throws(WireError) -> UInt64 {
    var result: UInt64 = 0
    for shift in stride(from: 0, to: 64, by: 7) {
      guard let byte = bytes.first else { throw WireError("a number runs past the end") }
      bytes = bytes.dropFirst()
      result |= UInt64(byte & 0x7F) << UInt64(shift)
      if byte & 0x80 == 0 { return result }
    }
    throw WireError("a number is longer than 10 bytes")
  }
}

extension UInt64 {
  /// Little-endian value of up to 8 bytes.
  init(littleEndianBytes bytes: ArraySlice<UInt8>) {
    self = bytes.reversed().reduce(0) { $0 << 8 | UInt64($1) }
  }
}
