import Foundation
import ModelIO
import Tensor
import TestSupport
import Testing

/// M4: corrupt model files that loaded and then trapped at the first frame
/// (while `check-config` said ok) are refused at load with the file and field.
@Suite struct ModelFileFaultTests {
  static let tiny = Repository.root.appendingPathComponent("Tests/Fixtures/clip/models/tiny-gelu")

  /// A copy of the tiny fixture model with `edit` applied to one of its JSON files.
  private func damagedCopy(_ file: String, _ edit: (inout [String: Any]) -> Void) throws -> String {
    let directory = try Repository.temporaryDirectory("model-faults").appendingPathComponent("model")
    try FileManager.default.copyItem(at: Self.tiny, to: directory)
    let url = directory.appendingPathComponent(file)
    var json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    edit(&json)
    try JSONSerialization.data(withJSONObject: json).write(to: url)
    return directory.path
  }

  private func loadError(_ directory: String) -> String {
    do {
      _ = try CLIPFiles(directory: directory)
      return "loaded"
    } catch {
      return "\(error)"
    }
  }

  private static func setting(_ tower: String, _ key: String, _ value: Any) -> (inout [String: Any]) -> Void {
    { json in
      var section = json[tower] as? [String: Any] ?? [:]
      section[key] = value
      json[tower] = section
    }
  }

  @Test func m4VocabularyIdsBeyondVocabSizeAreRefused() throws {
    let model = try damagedCopy("vocab.json") { $0["<|endoftext|>"] = 999_999 }
    #expect(loadError(model).contains("vocab.json: token '<|endoftext|>' has id 999999, outside the"))
  }

  @Test(arguments: [
    ("text_config", "eos_token_id", 1_099_511_627_776 as Int, "text_config.eos_token_id 1099511627776 is outside 0…"),
    ("vision_config", "image_size", 4_294_967_296 as Int, "vision_config.image_size 4294967296 is outside 1…1024"),
    (
      "vision_config", "num_hidden_layers", 1_000_000 as Int, "vision_config.num_hidden_layers 1000000 is outside 0…128"
    ),
  ])
  func m4ConfigSizesAreBounded(tower: String, key: String, value: Int, message: String) throws {
    let model = try damagedCopy("config.json", Self.setting(tower, key, value))
    #expect(loadError(model).contains(message), "\(loadError(model))")
  }

  @Test func m4TooManyPatchesAreRefused() throws {
    let model = try damagedCopy("config.json") { json in
      Self.setting("vision_config", "image_size", 1024)(&json)
      Self.setting("vision_config", "patch_size", 1)(&json)
    }
    #expect(loadError(model).contains("is 1024 patches a side (at most 64)"))
  }
}
