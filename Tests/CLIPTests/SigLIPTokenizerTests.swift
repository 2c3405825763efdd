import CLIP
import Foundation
import ModelIO
import TestSupport
import Testing

/// SigLIP's SentencePiece tokenizer against transformers' SiglipTokenizer on
/// >1,000 strings (tools/fixtures/make_siglip_fixtures.py), over a unigram
/// model with SigLIP's `nmt_nfkc` normaliser trained with `sentencepiece`.
@Suite struct SigLIPTokenizerTests {
  struct Cases: Decodable {
    struct Case: Decodable {
      var text: String
      var ids: [Int32]
    }
    // swift-format-ignore: AlwaysUseLowerCamelCase
    var context_length: Int
    var cases: [Case]
  }

  static let root = Repository.root.appendingPathComponent("Tests/Fixtures/siglip").path

  @Test func idsMatchTransformersOnEveryCase() throws {
    let cases = try JSONDecoder().decode(
      Cases.self, from: Data(contentsOf: URL(fileURLWithPath: Self.root + "/tokenizer_cases.json")))
    #expect(cases.cases.count >= 1_000)
    let tokenizer = try SigLIPTokenizer(
      path: Self.root + "/tokenizer/spiece.model", contextLength: cases.context_length)
    var mismatches: [String] = []
    for item in cases.cases {
      let ids = tokenizer.encode(item.text)
      if ids != item.ids {
        mismatches.append("\(item.text.debugDescription): \(ids.prefix(12)) vs \(item.ids.prefix(12))")
      }
    }
    #expect(mismatches.isEmpty, "\(mismatches.count) of \(cases.cases.count) differ: \(mismatches.prefix(8))")
  }

  @Test func truncationKeepsTheEndToken() throws {
    let tokenizer = try SigLIPTokenizer(path: Self.root + "/tokenizer/spiece.model", contextLength: 8)
    let long = String(repeating: "person falls ", count: 20)
    #expect(tokenizer.isTruncated(long) && !tokenizer.isTruncated("a cat"))
    let ids = tokenizer.encode(long)
    #expect(ids.count == 8 && ids.last == tokenizer.endID && !ids.dropLast().contains(tokenizer.endID))
  }
}
