import CLIP
import Foundation
import ModelIO

/// `add-rule`'s warning about phrasings the text encoder would cut: the
/// configured model's tokenizer (the embedded model's when none is
/// configured), read without loading any weights.
public struct PhrasingCheck {
  private let tokenizer: TextTokenizer

  /// nil when no tokenizer can be read (the warning is then skipped).
  public init?(clipModel: String?) {
    func load(_ directory: String) -> TextTokenizer? {
      guard let config = try? CLIPConfig(contentsOf: directory + "/config.json"),
        let vocabulary = try? CLIPFiles.vocabulary(directory: directory, config: config)
      else { return nil }
      return try? TextTokenizer(vocabulary, contextLength: config.contextLength)
    }
    let loaded =
      clipModel.map(load) ?? ((try? EmbeddedModel.withFiles(EmbeddedModel.tokenizerFiles, load)) ?? nil)
    guard let loaded else { return nil }
    tokenizer = loaded
  }

  /// Tokens the text encoder reads (the rest of a longer phrasing is ignored).
  public var contextLength: Int { tokenizer.contextLength }

  public func isTruncated(_ phrasing: String) -> Bool { tokenizer.isTruncated(phrasing) }
}
