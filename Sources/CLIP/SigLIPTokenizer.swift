import ModelIO

/// SigLIP's tokenizer over its `spiece.model`, giving the ids `transformers`'
/// `SiglipTokenizer` gives with `padding="max_length"` (how SigLIP was
/// trained and how its processor calls it):
///
/// 1. "▁" + the text (its own "▁" turned into spaces), split around the
///    special tokens written in it (`</s>`, `<unk>`);
/// 2. each other part canonicalised as big_vision's prompt engineering does:
///    lowercased, ASCII punctuation removed, whitespace runs collapsed, stripped;
/// 3. SentencePiece (normaliser, then unigram) on "<unk>" + part, dropping as
///    many pieces as "<unk>" alone gives (transformers' legacy trick);
/// 4. truncated to the context less one, `</s>` appended unless already last,
///    padded with the pad token (`</s>`).
public struct SigLIPTokenizer: Sendable {
  public let contextLength: Int
  public let endID: Int32
  public let padID: Int32
  public let unknownID: Int32
  private let normalizer: SentencePieceNormalizer
  private let encoder: UnigramEncoder
  private let specials: [(text: String, id: Int32)]
  private let unknownPrefixPieces: Int

  public init(path: String, contextLength: Int) throws(ModelError) {
    try self.init(model: try SentencePieceModel(path: path), path: path, contextLength: contextLength)
  }

  public init(model: SentencePieceModel, path: String, contextLength: Int) throws(ModelError) {
    precondition(contextLength >= 2, "context length must hold a token and the end token")
    guard model.algorithm == .unigram else {
      throw ModelError(file: path, "is a \(model.algorithm) model; SigLIP's tokenizer is a unigram model")
    }
    guard let end = model.pieces.firstIndex(where: { $0.text == "</s>" }) else {
      throw ModelError(file: path, "has no </s> piece (SigLIP's end and padding token)")
    }
    self.contextLength = contextLength
    endID = Int32(end)
    padID = endID
    unknownID = model.unknownID
    let normalizer = try SentencePieceNormalizer(model: model, path: path)
    let encoder = UnigramEncoder(model: model)
    let unknown = model.pieces[Int(model.unknownID)].text
    self.normalizer = normalizer
    self.encoder = encoder
    specials = [("</s>", endID), (unknown, model.unknownID)]
    unknownPrefixPieces = encoder.encode(normalizer.normalize(unknown)).count
  }

  /// Ids of `text`, `contextLength` long.
  public func encode(_ text: String) -> [Int32] {
    var ids = tokens(text)
    if ids.count > contextLength - 1 { ids.removeLast(ids.count - (contextLength - 1)) }
    if ids.last != endID { ids.append(endID) }
    return ids + [Int32](repeating: padID, count: contextLength - ids.count)
  }

  /// Whether `text` has more tokens than fit in the context (they are dropped).
  public func isTruncated(_ text: String) -> Bool { tokens(text).count > contextLength - 1 }

  /// The text's ids without the end token or padding.
  public func tokens(_ text: String) -> [Int32] {
    let prefixed = "▁" + String(String.UnicodeScalarView(text.unicodeScalars.map { $0 == "▁" ? " " : $0 }))
    var result: [(piece: ArraySlice<UInt8>?, id: Int32)] = []
    for (part, special) in splitSpecialTokens(prefixed) {
      if let special {
        result.append((nil, special))
        continue
      }
      let pieces = pieces(of: specials[1].text + Self.canonicalised(part))
      result += pieces.dropFirst(min(unknownPrefixPieces, pieces.count)).map { ($0.bytes, $0.id) }
    }
    // transformers drops a lone leading "▁" before a special token.
    if result.count > 1, let first = result[0].piece, first.elementsEqual(SentencePieceNormalizer.space),
      result[1].piece == nil
    {
      result.removeFirst()
    }
    return result.map(\.id)
  }

  private func pieces(of text: String) -> [(bytes: ArraySlice<UInt8>, id: Int32)] {
    encoder.encode(normalizer.normalize(text))
  }

  /// The text cut around the special tokens written in it, earliest (then
  /// longest) first, matched byte for byte as transformers does.
  private func splitSpecialTokens(_ text: String) -> [(String, Int32?)] {
    let tokens = specials.map { (bytes: Array($0.text.utf8), id: $0.id) }
    var parts: [(String, Int32?)] = []
    var rest = Array(text.utf8)[...]
    while !rest.isEmpty {
      guard let (range, id) = ByteSearch.leftmostLongest(tokens, in: rest) else {
        parts.append((String(decoding: rest, as: UTF8.self), nil))
        break
      }
      if range.lowerBound > rest.startIndex {
        parts.append((String(decoding: rest[..<range.lowerBound], as: UTF8.self), nil))
      }
      parts.append(("", id))
      rest = rest[range.upperBound...]
    }
    return parts
  }

  /// big_vision's canonicalisation as `SiglipTokenizer.canonicalize_text` runs
  /// it in Python: `lower()`, ASCII punctuation removed, `\s+` → " ", `strip()`.
  static func canonicalised(_ text: String) -> String {
    var scalars: [Unicode.Scalar] = []
    let input = Array(text.unicodeScalars)
    for (index, scalar) in input.enumerated() {
      if scalar == "\u{03A3}" {
        scalars.append(PythonText.isFinalSigma(input, at: index) ? "\u{03C2}" : "\u{03C3}")
      } else {
        scalars += scalar.properties.lowercaseMapping.unicodeScalars
      }
    }
    var collapsed: [Unicode.Scalar] = []
    for scalar in scalars where !(scalar.isASCII && PythonText.punctuation.contains(UInt8(scalar.value))) {
      if PythonText.isSpace(scalar) {
        if collapsed.last != " " { collapsed.append(" ") }
      } else {
        collapsed.append(scalar)
      }
    }
    while collapsed.first == " " { collapsed.removeFirst() }
    while collapsed.last == " " { collapsed.removeLast() }
    return String(String.UnicodeScalarView(collapsed))
  }
}

/// Python's `str` rules that tokenizers written in Python rely on.
enum PythonText {
  /// `string.punctuation`.
  static let punctuation = Set(Array("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".utf8))

  /// `str.isspace()` (and `re`'s `\s` on str): bidirectional class WS, B or S, or category Zs.
  static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
      true
    default: false
    }
  }

  /// Whether the capital sigma at `index` lowercases to the final form ς, as
  /// CPython decides: a cased letter before it (skipping case-ignorable ones)
  /// and none after it.
  static func isFinalSigma(_ scalars: [Unicode.Scalar], at index: Int) -> Bool {
    var before = index - 1
    while before >= 0 && scalars[before].properties.isCaseIgnorable { before -= 1 }
    guard before >= 0 && scalars[before].properties.isCased else { return false }
    var after = index + 1
    while after < scalars.count && scalars[after].properties.isCaseIgnorable { after += 1 }
    return after == scalars.count || !scalars[after].properties.isCased
  }
}
