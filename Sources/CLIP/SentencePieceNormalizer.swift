import ModelIO

/// SentencePiece's normaliser, as `normalizer.cc` applies a model's
/// `normalizer_spec`: at each position the longest rule of the precompiled
/// character map (a darts-clone double-array trie over UTF-8 bytes whose
/// values point into NUL-terminated replacement strings) replaces its match,
/// else one character passes through; user-defined pieces pass untouched;
/// leading, trailing and repeated spaces are dropped, a space is prefixed,
/// and spaces become "▁". Works on bytes, as SentencePiece does.
struct SentencePieceNormalizer: Sendable {
  private let units: [UInt32]
  private let replacements: [UInt8]
  private let addDummyPrefix: Bool
  private let removeExtraWhitespaces: Bool
  private let escapeWhitespaces: Bool
  private let whitespaceAsSuffix: Bool
  private let userDefined: Set<[UInt8]>
  private let longestUserDefined: Int

  static let space: [UInt8] = Array("▁".utf8)

  /// Splits the model's character map into trie and strings; a map whose
  /// trie size runs past its end is an error naming `path`.
  init(model: SentencePieceModel, path: String) throws(ModelError) {
    let map = model.charsMap
    if map.isEmpty {
      units = []
      replacements = []
    } else {
      let trieBytes = Int(Self.littleEndian(map.prefix(4)))
      guard map.count > 4, trieBytes < map.count, trieBytes % 4 == 0, trieBytes <= map.count - 4 else {
        throw ModelError(file: path, "normalizer_spec.precompiled_charsmap is broken (trie size past its end)")
      }
      units = stride(from: 4, to: 4 + trieBytes, by: 4).map { Self.littleEndian(map[$0..<($0 + 4)]) }
      replacements = Array(map[(4 + trieBytes)...])
    }
    addDummyPrefix = model.addDummyPrefix
    removeExtraWhitespaces = model.removeExtraWhitespaces
    escapeWhitespaces = model.escapeWhitespaces
    whitespaceAsSuffix = model.whitespaceAsSuffix
    userDefined = Set(model.pieces.filter { $0.type == .userDefined }.map { Array($0.text.utf8) })
    longestUserDefined = userDefined.map(\.count).max() ?? 0
  }

  func normalize(_ text: String) -> [UInt8] {
    var input = Array(text.utf8)[...]
    guard !input.isEmpty else { return [] }
    let space: [UInt8] = escapeWhitespaces ? Self.space : [0x20]
    if removeExtraWhitespaces {
      while !input.isEmpty {
        let (replacement, consumed) = prefix(input)
        guard replacement.elementsEqual([0x20]) else { break }
        input = input.dropFirst(consumed)
      }
    }
    guard !input.isEmpty else { return [] }
    var output: [UInt8] = []
    output.reserveCapacity(input.count * 3)
    if !whitespaceAsSuffix && addDummyPrefix { output += space }
    var previousWasSpace = removeExtraWhitespaces
    while !input.isEmpty {
      var (replacement, consumed) = prefix(input)
      while previousWasSpace && replacement.first == 0x20 { replacement = replacement.dropFirst() }
      if let last = replacement.last {
        for byte in replacement {
          if escapeWhitespaces && byte == 0x20 { output += Self.space } else { output.append(byte) }
        }
        previousWasSpace = last == 0x20
      }
      input = input.dropFirst(consumed)
      if !removeExtraWhitespaces { previousWasSpace = false }
    }
    if removeExtraWhitespaces {
      while output.count >= space.count && output.suffix(space.count).elementsEqual(space) {
        output.removeLast(space.count)
      }
    }
    if whitespaceAsSuffix && addDummyPrefix { output += space }
    return output
  }

  /// The normalised form of the longest rule matching the start of `input`
  /// and the bytes it consumed.
  private func prefix(_ input: ArraySlice<UInt8>) -> (ArraySlice<UInt8>, Int) {
    if longestUserDefined > 0 {
      for length in stride(from: min(longestUserDefined, input.count), through: 1, by: -1)
      where userDefined.contains(Array(input.prefix(length))) {
        return (input.prefix(length), length)
      }
    }
    if let (value, length) = longestRule(input), let replacement = replacement(at: value) {
      return (replacement, length)
    }
    let length = min(Self.characterLength(input.first!), input.count)
    return (input.prefix(length), length)
  }

  /// darts-clone's common-prefix search, keeping the longest match; every
  /// index is checked, so a corrupt map ends the search instead of reading past it.
  private func longestRule(_ key: ArraySlice<UInt8>) -> (value: Int, length: Int)? {
    guard !units.isEmpty else { return nil }
    func offset(_ unit: UInt32) -> Int { Int((unit >> 10) << ((unit & (1 << 9)) >> 6)) }
    var best: (Int, Int)?
    var node = offset(units[0])
    for (i, byte) in key.enumerated() {
      node ^= Int(byte)
      guard node < units.count else { break }
      let unit = units[node]
      guard unit & ((1 << 31) | 0xFF) == UInt32(byte) else { break }
      node ^= offset(unit)
      guard node < units.count else { break }
      if (unit >> 8) & 1 == 1 { best = (Int(units[node] & ((1 << 31) - 1)), i + 1) }
    }
    return best
  }

  private func replacement(at start: Int) -> ArraySlice<UInt8>? {
    guard start < replacements.count else { return nil }
    let end = replacements[start...].firstIndex(of: 0) ?? replacements.count
    return replacements[start..<end]
  }

  private static func littleEndian(_ bytes: ArraySlice<UInt8>) -> UInt32 {
    bytes.reversed().reduce(0) { $0 << 8 | UInt32($1) }
  }

  /// Bytes of the UTF-8 character starting with `lead` (SentencePiece's OneCharLen).
  static func characterLength(_ lead: UInt8) -> Int {
    switch lead >> 4 {
    case 0xC, 0xD: 2
    case 0xE: 3
    case 0xF: 4
    default: 1
    }
  }
}
