import CLIP
import Foundation
import ModelIO
import TestSupport
import Testing

/// SigLIP 2's Gemma tokenizer against transformers on 1,128 strings, from the
/// files as a directory ships them (tokenizer.json, tokenizer_config.json):
/// a byte-fallback BPE trained with `sentencepiece`, saved as
/// `Siglip2Tokenizer` (lowercases) and as `GemmaTokenizer` (does not).
@Suite struct GemmaTokenizerTests {
  struct Case: Decodable {
    var text: String
    var ids: [Int32]
  }

  static let root = Repository.root.appendingPathComponent("Tests/Fixtures/siglip").path

  @Test(arguments: ["siglip2", "gemma"])
  func idsMatchTransformers(variant: String) throws {
    let cases = try JSONDecoder().decode(
      [String: [Case]].self,
      from: Data(contentsOf: URL(fileURLWithPath: Self.root + "/gemma_tokenizer_cases.json")))[variant]!
    let tokenizer = try GemmaTokenizer(directory: Self.root + "/gemma-tokenizer/" + variant, contextLength: 64)
    var mismatches: [String] = []
    for item in cases {
      let ids = tokenizer.encode(item.text)
      if ids != item.ids {
        mismatches.append("\(item.text.debugDescription): \(ids.suffix(10)) vs \(item.ids.suffix(10))")
      }
    }
    #expect(cases.count >= 1_000)
    #expect(mismatches.isEmpty, "\(variant): \(mismatches.count) of \(cases.count) differ: \(mismatches.prefix(6))")
  }
}
