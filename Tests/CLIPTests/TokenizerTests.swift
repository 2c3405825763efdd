import CLIP
import Foundation
import TestSupport
import Testing

/// Ids identical to transformers' CLIPTokenizer with OpenAI's real vocabulary
/// on 1,100 varied strings (tools/fixtures/make_clip_fixtures.py).
@Suite struct TokenizerTests {
  struct Cases: Decodable {
    struct Case: Decodable {
      var text: String
      var ids: [Int32]
    }
    // swift-format-ignore: AlwaysUseLowerCamelCase
    var context_length: Int
    // swift-format-ignore: AlwaysUseLowerCamelCase
    var pad_id: Int32
    var cases: [Case]
  }

  static let directory = Repository.root.appendingPathComponent("Tests/Fixtures/clip").path

  @Test func matchesTransformersOnEveryCase() throws {
    let data = try Data(contentsOf: URL(fileURLWithPath: Self.directory + "/tokenizer_cases.json"))
    let fixture = try JSONDecoder().decode(Cases.self, from: data)
    let tokenizer = try Tokenizer(directory: Self.directory + "/tokenizer", contextLength: fixture.context_length)
    #expect(fixture.cases.count >= 1000)
    var mismatches: [String] = []
    for item in fixture.cases {
      let expected = item.ids + [Int32](repeating: fixture.pad_id, count: fixture.context_length - item.ids.count)
      let ids = tokenizer.encode(item.text)
      if ids != expected {
        mismatches.append("\(item.text.debugDescription): got \(ids.prefix(12)) expected \(expected.prefix(12))")
      }
    }
    #expect(
      mismatches.isEmpty, "\(mismatches.count) mismatches, first: \(mismatches.prefix(5).joined(separator: "\n"))")
  }

  @Test func truncationKeepsTheEndToken() throws {
    let tokenizer = try Tokenizer(directory: Self.directory + "/tokenizer")
    let long = String(repeating: "person ", count: 100)
    let ids = tokenizer.encode(long)
    #expect(ids.count == 77 && ids.first == tokenizer.startID && ids.last == tokenizer.endID)
    #expect(tokenizer.isTruncated(long) && !tokenizer.isTruncated("a person falls"))
  }
}
