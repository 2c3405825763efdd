import ModelIO

/// CLIP's byte-level BPE tokenizer over `vocab.json` + `merges.txt` (Hugging
/// Face layout), giving the same ids as `transformers`' CLIPTokenizer:
/// `<|startoftext|>`, the text's tokens, `<|endoftext|>`, truncated to the
/// context length keeping the end token, padded with the end token.
public struct Tokenizer: Sendable {
  public let contextLength: Int
  public let startID: Int32
  public let endID: Int32
  private let vocabulary: [String: Int32]
  /// Merge rank by pair, lower merges first.
  private let ranks: [Pair: Int]
  private let byteSymbols: [String]

  struct Pair: Hashable, Sendable {
    var first: String
    var second: String
  }

  /// Reads `vocab.json` + `merges.txt` from `directory` (through ModelIO).
  public init(directory: String, contextLength: Int = 77) throws(ModelError) {
    self.init(vocabulary: try BPEVocabulary(directory: directory), contextLength: contextLength)
  }

  public init(vocabulary: BPEVocabulary, contextLength: Int = 77) {
    precondition(contextLength >= 2, "context length must hold the start and end tokens")
    self.contextLength = contextLength
    var ranks: [Pair: Int] = [:]
    for (first, second) in vocabulary.merges {
      let pair = Pair(first: first, second: second)
      if ranks[pair] == nil { ranks[pair] = ranks.count }
    }
    self.vocabulary = vocabulary.tokens
    self.ranks = ranks
    startID = vocabulary.startID
    endID = vocabulary.endID
    byteSymbols = ByteSymbols.table
  }

  /// Ids of `text`, `contextLength` long (start, tokens, end, end-padding).
  public func encode(_ text: String) -> [Int32] {
    var ids = tokens(text)
    let truncated = ids.count > contextLength - 2
    if truncated { ids.removeLast(ids.count - (contextLength - 2)) }
    var result = [startID] + ids + [endID]
    result += [Int32](repeating: endID, count: contextLength - result.count)
    return result
  }

  /// Whether `text` has more tokens than fit in the context (they are dropped).
  public func isTruncated(_ text: String) -> Bool { tokens(text).count > contextLength - 2 }

  /// The text's token ids without start, end or padding.
  public func tokens(_ text: String) -> [Int32] {
    var ids: [Int32] = []
    // Special tokens written in the text are matched before normalisation, as added tokens are.
    for (segment, isSpecial) in Self.splitSpecialTokens(text) {
      if isSpecial {
        ids.append(segment == "<|startoftext|>" ? startID : endID)
        continue
      }
      for piece in TextNormalizer.pieces(TextNormalizer.normalize(segment)) {
        let symbols = piece.utf8.map { byteSymbols[Int($0)] }
        for token in bpe(symbols) { ids.append(vocabulary[token] ?? endID) }
      }
    }
    return ids
  }

  /// Byte-pair merges over one word; the last symbol carries `</w>`.
  func bpe(_ symbols: [String]) -> [String] {
    guard !symbols.isEmpty else { return [] }
    var word = symbols
    word[word.count - 1] += "</w>"
    while word.count > 1 {
      var best: (rank: Int, index: Int)?
      for i in 0..<(word.count - 1) {
        if let rank = ranks[Pair(first: word[i], second: word[i + 1])], rank < (best?.rank ?? Int.max) {
          best = (rank, i)
        }
      }
      guard let best else { break }
      let first = word[best.index]
      let second = word[best.index + 1]
      // Merge every occurrence of the pair, left to right.
      var merged: [String] = []
      var i = 0
      while i < word.count {
        if i < word.count - 1 && word[i] == first && word[i + 1] == second {
          merged.append(first + second)
          i += 2
        } else {
          merged.append(word[i])
          i += 1
        }
      }
      word = merged
    }
    return word
  }

  static func splitSpecialTokens(_ text: String) -> [(String, Bool)] {
    var segments: [(String, Bool)] = []
    var rest = Substring(text)
    while !rest.isEmpty {
      let found = ["<|startoftext|>", "<|endoftext|>"].compactMap { token in
        rest.firstRange(of: token).map { (token, $0) }
      }
      .min { $0.1.lowerBound < $1.1.lowerBound }
      guard let (token, range) = found else {
        segments.append((String(rest), false))
        break
      }
      if range.lowerBound > rest.startIndex { segments.append((String(rest[..<range.lowerBound]), false)) }
      segments.append((token, true))
      rest = rest[range.upperBound...]
    }
    return segments
  }
}

/// GPT-2's reversible byte → printable-character map used by byte-level BPE.
enum ByteSymbols {
  static let table: [String] = {
    var bytes = Array(33...126) + Array(161...172) + Array(174...255)
    var characters = bytes
    var extra = 0
    for byte in 0..<256 where !bytes.contains(byte) {
      bytes.append(byte)
      characters.append(256 + extra)
      extra += 1
    }
    var table = [String](repeating: "", count: 256)
    for (byte, character) in zip(bytes, characters) { table[byte] = String(UnicodeScalar(character)!) }
    return table
  }()
}
