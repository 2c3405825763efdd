import ModelIO

/// SigLIP 2's tokenizer (Gemma's byte-fallback BPE), giving the ids
/// `transformers`' `Siglip2Tokenizer` / `GemmaTokenizer` give with
/// `padding="max_length"`, as `tokenizers` runs them:
///
/// 1. the added tokens written in the text (`<pad>`, `<eos>`, `<bos>`, `<unk>`,
///    `<mask>`, …) cut out first, leftmost then longest;
/// 2. each other part lowercased (`Siglip2Tokenizer` only, character by
///    character as Rust's `char::to_lowercase`), spaces made "▁";
/// 3. one symbol per character — a character outside the vocabulary becomes
///    its UTF-8 bytes' `<0xXX>` tokens — then the lowest-ranked adjacent pair
///    merged, leftmost first, until no pair merges;
/// 4. truncated (right) to the context less the template's tokens, wrapped in
///    the template (`<bos>`/`<eos>` where the files ask for them), padded to the
///    context on the configured side (left by default, as both classes do).
public struct GemmaTokenizer: Sendable {
  public let contextLength: Int
  public let padID: Int32
  private let files: GemmaTokenizerFiles
  /// Looked up by UTF-8 bytes, as `tokenizers` compares: Swift's String
  /// equality would take the Kelvin sign K for the letter K.
  private let vocabulary: [[UInt8]: Int32]
  private let addedTokens: [(bytes: [UInt8], id: Int32)]
  /// Merge rank and result by pair of ids.
  private let merges: [Pair: (rank: Int, id: Int32)]
  private let byteIDs: [Int32?]  // `<0xXX>` by byte

  struct Pair: Hashable, Sendable {
    var first: Int32
    var second: Int32
  }

  public init(directory: String, contextLength: Int) throws(ModelError) {
    self.init(files: try GemmaTokenizerFiles(directory: directory), contextLength: contextLength)
  }

  public init(files: GemmaTokenizerFiles, contextLength: Int) {
    precondition(contextLength > files.prefixIDs.count + files.suffixIDs.count, "context too short for the template")
    self.contextLength = contextLength
    self.files = files
    padID = files.padID
    var vocabulary: [[UInt8]: Int32] = [:]
    for (token, id) in files.vocabulary { vocabulary[Array(token.utf8)] = id }
    self.vocabulary = vocabulary
    addedTokens = files.addedTokens.map { (Array($0.content.utf8), $0.id) }
    var merges: [Pair: (rank: Int, id: Int32)] = [:]
    for (rank, (first, second)) in files.merges.enumerated() {
      guard let a = vocabulary[Array(first.utf8)], let b = vocabulary[Array(second.utf8)],
        let merged = vocabulary[Array(first.utf8) + Array(second.utf8)]
      else { continue }
      let pair = Pair(first: a, second: b)
      if merges[pair] == nil { merges[pair] = (rank, merged) }
    }
    self.merges = merges
    byteIDs = (0...255).map { vocabulary[Array(("<0x" + Self.hex($0) + ">").utf8)] }
  }

  /// Ids of `text`, `contextLength` long.
  public func encode(_ text: String) -> [Int32] {
    var ids = tokens(text)
    let room = contextLength - files.prefixIDs.count - files.suffixIDs.count
    if ids.count > room { ids.removeLast(ids.count - room) }
    ids = files.prefixIDs + ids + files.suffixIDs
    let padding = [Int32](repeating: padID, count: contextLength - ids.count)
    return files.padLeft ? padding + ids : ids + padding
  }

  /// Whether `text` has more tokens than fit in the context (they are dropped).
  public func isTruncated(_ text: String) -> Bool {
    tokens(text).count > contextLength - files.prefixIDs.count - files.suffixIDs.count
  }

  /// The text's ids without template or padding.
  public func tokens(_ text: String) -> [Int32] {
    var ids: [Int32] = []
    var rest = Array(text.utf8)[...]
    while !rest.isEmpty {
      guard let (range, id) = ByteSearch.leftmostLongest(addedTokens, in: rest) else {
        ids += word(rest)
        break
      }
      if range.lowerBound > rest.startIndex { ids += word(rest[..<range.lowerBound]) }
      ids.append(id)
      rest = rest[range.upperBound...]
    }
    return ids
  }

  /// Normalises one part and runs BPE over it.
  private func word(_ part: ArraySlice<UInt8>) -> [Int32] {
    var symbols: [Int32] = []
    for scalar in String(decoding: part, as: UTF8.self).unicodeScalars {
      let characters = files.lowercase ? Array(scalar.properties.lowercaseMapping.unicodeScalars) : [scalar]
      for character in characters {
        let bytes = character == " " ? Array("▁".utf8) : Array(String(character).utf8)
        if let id = vocabulary[bytes] {
          symbols.append(id)
        } else if files.byteFallback, bytes.allSatisfy({ byteIDs[Int($0)] != nil }) {
          symbols += bytes.map { byteIDs[Int($0)]! }
        } else if let unknown = files.unknownID {
          // fuse_unk: a run of unknown characters is one unknown token.
          if symbols.last != unknown { symbols.append(unknown) }
        }
      }
    }
    // The lowest-ranked adjacent pair, leftmost among equals, until none merges.
    while symbols.count > 1 {
      var best: (rank: Int, position: Int, id: Int32)?
      for position in 0..<(symbols.count - 1) {
        guard let merge = merges[Pair(first: symbols[position], second: symbols[position + 1])] else { continue }
        if best == nil || merge.rank < best!.rank { best = (merge.rank, position, merge.id) }
      }
      guard let best else { break }
      symbols[best.position] = best.id
      symbols.remove(at: best.position + 1)
    }
    return symbols
  }

  private static func hex(_ byte: Int) -> String {
    let digits = Array("0123456789ABCDEF")
    return String([digits[byte >> 4], digits[byte & 15]])
  }
}

/// Byte-exact search for the special tokens written in a text (Swift's String
/// search matches canonically equivalent text, which tokenizers do not).
enum ByteSearch {
  /// The leftmost occurrence of any of `tokens`, the longest at that position.
  static func leftmostLongest(
    _ tokens: [(bytes: [UInt8], id: Int32)], in text: ArraySlice<UInt8>
  ) -> (Range<Int>, Int32)? {
    var position = text.startIndex
    while position < text.endIndex {
      var best: (Range<Int>, Int32)?
      for (bytes, id) in tokens where !bytes.isEmpty && text[position...].starts(with: bytes) {
        if best == nil || bytes.count > best!.0.count { best = (position..<(position + bytes.count), id) }
      }
      if let best { return best }
      position += 1
    }
    return nil
  }
}
