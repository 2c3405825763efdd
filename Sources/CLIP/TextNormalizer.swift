import Foundation

/// CLIP's text preparation before BPE, as `transformers`' CLIPTokenizer
/// (tokenizers backend) does it: NFC, runs of whitespace → one space,
/// per-character lower-case, then the pre-tokenisation pattern
///
///     's|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
///
/// keeping the matches and dropping what lies between (whitespace). The
/// reference pattern also lists `<|startoftext|>` and `<|endoftext|>`, but its
/// byte-level step then splits those pieces again into `<|`, letters, `|>`,
/// which is what this pattern gives directly. (Real special tokens are split
/// out before normalisation, see `Tokenizer`.)
enum TextNormalizer {
  static func normalize(_ text: String) -> String {
    let composed = text.precomposedStringWithCanonicalMapping
    var collapsed = String.UnicodeScalarView()
    var inWhitespace = false
    for scalar in composed.unicodeScalars {
      if isWhitespace(scalar) {
        if !inWhitespace { collapsed.append(" ") }
        inWhitespace = true
      } else {
        collapsed.append(scalar)
        inWhitespace = false
      }
    }
    return lowercased(String(collapsed))
  }

  /// Splits normalised text into the pattern's matches.
  static func pieces(_ text: String) -> [String] {
    let scalars = Array(text.unicodeScalars)
    var pieces: [String] = []
    var i = 0
    func take(_ count: Int) {
      var piece = String.UnicodeScalarView()
      piece.append(contentsOf: scalars[i..<(i + count)])
      pieces.append(String(piece))
      i += count
    }
    while i < scalars.count {
      if let contraction = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"].first(where: { hasPrefix(scalars, at: i, $0) })
      {
        take(contraction.unicodeScalars.count)
      } else if isLetter(scalars[i]) {
        var end = i
        while end < scalars.count && isLetter(scalars[end]) { end += 1 }
        take(end - i)
      } else if isNumber(scalars[i]) {
        take(1)
      } else if !isWhitespace(scalars[i]) {
        var end = i
        while end < scalars.count && !isWhitespace(scalars[end]) && !isLetter(scalars[end]) && !isNumber(scalars[end]) {
          end += 1
        }
        take(end - i)
      } else {
        i += 1
      }
    }
    return pieces
  }

  private static func hasPrefix(_ scalars: [Unicode.Scalar], at start: Int, _ prefix: String) -> Bool {
    var index = start
    for scalar in prefix.unicodeScalars {
      guard index < scalars.count, scalars[index] == scalar else { return false }
      index += 1
    }
    return true
  }

  static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool { scalar.properties.isWhitespace }

  static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.properties.generalCategory {
    case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
    default: return false
    }
  }

  static func isNumber(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.properties.generalCategory {
    case .decimalNumber, .letterNumber, .otherNumber: return true
    default: return false
    }
  }

  /// Lower-cases scalar by scalar (full mappings, no context rules such as
  /// Greek final sigma), as the tokenizers library's `Lowercase` normaliser.
  static func lowercased(_ text: String) -> String {
    var out = String.UnicodeScalarView()
    for scalar in text.unicodeScalars { out.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars) }
    return String(out)
  }
}
