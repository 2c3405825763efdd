import Foundation
import ModelIO
import TestSupport
import Testing

@testable import CLIP

/// SentencePiece's normaliser and unigram segmentation against `sentencepiece`
/// itself (no transformers layer) on small models with no normaliser, custom
/// normalisation rules, and user-defined pieces (Fuzz/Seeds/spiece, made by
/// tools/fixtures/make_siglip_fixtures.py).
@Suite struct SentencePieceTests {
  struct Case: Decodable {
    var text: String
    var ids: [Int32]
  }

  static let models = ["identity", "rules", "user-defined"]

  @Test(arguments: models)
  func idsMatchSentencePiece(name: String) throws {
    let cases = try JSONDecoder().decode(
      [String: [Case]].self,
      from: Data(
        contentsOf: Repository.root.appendingPathComponent("Tests/Fixtures/siglip/sentencepiece_cases.json")))[name]!
    let path = Repository.root.appendingPathComponent("Fuzz/Seeds/spiece/\(name).model").path
    let model = try SentencePieceModel(path: path)
    let normalizer = try SentencePieceNormalizer(model: model, path: path)
    let encoder = UnigramEncoder(model: model)
    var mismatches: [String] = []
    for item in cases {
      let ids = encoder.encode(normalizer.normalize(item.text)).map(\.id)
      if ids != item.ids {
        mismatches.append("\(item.text.debugDescription): \(ids.prefix(10)) vs \(item.ids.prefix(10))")
      }
    }
    #expect(cases.count > 200)
    #expect(mismatches.isEmpty, "\(name): \(mismatches.count) of \(cases.count) differ: \(mismatches.prefix(6))")
  }

  @Test func brokenModelsAreRefusedWithTheFileNamed() throws {
    let path = Repository.root.appendingPathComponent("Fuzz/Seeds/spiece/rules.model").path
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    func error(_ bytes: [UInt8]) -> String {
      do {
        _ = try SentencePieceModel(bytes: bytes, path: "x/spiece.model")
        return "loaded"
      } catch {
        return "\(error)"
      }
    }
    #expect(error(Array(bytes.prefix(bytes.count / 2))).contains("x/spiece.model"))
    #expect(error([]).contains("has no pieces"))
    #expect(error([0x0A, 0xFF]).contains("runs past the end"))
  }
}
