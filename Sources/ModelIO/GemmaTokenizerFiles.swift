import Core
import Foundation

/// SigLIP 2's tokenizer files as a Hugging Face directory ships them:
/// `tokenizer.json` (a byte-fallback BPE: vocabulary, merges, added tokens,
/// post-processor template) and `tokenizer_config.json` (which class
/// `transformers` builds — `Siglip2Tokenizer` lowercases, `GemmaTokenizer`
/// does not — and the flags that override the template and padding side).
public struct GemmaTokenizerFiles: Sendable {
  public var vocabulary: [String: Int32] = [:]
  /// Merge pairs in rank order (first = highest priority).
  public var merges: [(String, String)] = []
  /// Tokens matched in the raw text before normalisation (`added_tokens`).
  public var addedTokens: [(content: String, id: Int32)] = []
  public var byteFallback = true
  public var unknownID: Int32?
  /// The single-sequence template: ids before and after the text.
  public var prefixIDs: [Int32] = []
  public var suffixIDs: [Int32] = []
  public var lowercase = false
  public var padID: Int32 = 0
  public var padLeft = true

  /// Reads `directory`'s tokenizer.json and tokenizer_config.json (if present).
  public init(directory: String) throws(ModelError) {
    let path = directory + "/tokenizer.json"
    let json = try Self.object(path, required: true)
    guard let model = json["model"] as? [String: Any], model["type"] as? String == "BPE",
      let vocabulary = model["vocab"] as? [String: NSNumber]
    else { throw ModelError(file: path, "model is not a BPE model with a vocab object") }
    guard vocabulary.count <= Limits.Model.vocabulary else {
      throw ModelError(file: path, "has \(vocabulary.count) tokens, more than \(Limits.Model.vocabulary)")
    }
    for (token, id) in vocabulary {
      guard let id = Int32(exactly: id.int64Value), id >= 0 else {
        throw ModelError(file: path, "token '\(token.prefix(40))' has an invalid id")
      }
      self.vocabulary[token] = id
    }
    for (index, merge) in ((model["merges"] as? [Any]) ?? []).enumerated() {
      // Either "a b" (older files) or ["a", "b"].
      let parts: [String] =
        (merge as? String).map { $0.split(separator: " ", omittingEmptySubsequences: false).map(String.init) }
        ?? (merge as? [String]) ?? []
      guard parts.count == 2 else { throw ModelError(file: path, "merge \(index + 1) is not a pair of symbols") }
      merges.append((parts[0], parts[1]))
    }
    byteFallback = (model["byte_fallback"] as? Bool) ?? false
    if let unknown = model["unk_token"] as? String { unknownID = self.vocabulary[unknown] }
    for case let token as [String: Any] in (json["added_tokens"] as? [Any]) ?? [] {
      guard let content = token["content"] as? String, !content.isEmpty,
        let id = (token["id"] as? NSNumber).flatMap({ Int32(exactly: $0.int64Value) }), id >= 0
      else { throw ModelError(file: path, "an added token has no content or id") }
      addedTokens.append((content, id))
    }
    if let single = (json["post_processor"] as? [String: Any])?["single"] as? [[String: Any]] {
      var beforeText = true
      for item in single {
        if item["Sequence"] != nil {
          beforeText = false
        } else if let special = item["SpecialToken"] as? [String: Any], let name = special["id"] as? String {
          guard let id = self.id(of: name) else {
            throw ModelError(file: path, "post_processor names '\(name.prefix(40))', which is not a token")
          }
          if beforeText { prefixIDs.append(id) } else { suffixIDs.append(id) }
        }
      }
    }
    try readConfig(directory + "/tokenizer_config.json")
  }

  /// `transformers`' choices: the class decides lowercasing and the default
  /// padding side (left for both Gemma classes); explicit `add_bos_token` /
  /// `add_eos_token` rebuild the template around the text.
  private mutating func readConfig(_ path: String) throws(ModelError) {
    let config = try Self.object(path, required: false)
    lowercase = (config["tokenizer_class"] as? String) == "Siglip2Tokenizer"
    padLeft = ((config["padding_side"] as? String) ?? "left") == "left"
    func token(_ key: String, _ fallback: String) -> String {
      (config[key] as? String) ?? ((config[key] as? [String: Any])?["content"] as? String) ?? fallback
    }
    guard let pad = id(of: token("pad_token", "<pad>")) else {
      throw ModelError(file: path, "pad_token '\(token("pad_token", "<pad>").prefix(40))' is not a token")
    }
    padID = pad
    if config["add_bos_token"] != nil || config["add_eos_token"] != nil {
      let bos = (config["add_bos_token"] as? Bool) == true ? id(of: token("bos_token", "<bos>")) : nil
      let eos = (config["add_eos_token"] as? Bool) == true ? id(of: token("eos_token", "<eos>")) : nil
      prefixIDs = bos.map { [$0] } ?? []
      suffixIDs = eos.map { [$0] } ?? []
    }
  }

  private func id(of token: String) -> Int32? {
    addedTokens.first { $0.content == token }?.id ?? vocabulary[token]
  }

  private static func object(_ path: String, required: Bool) throws(ModelError) -> [String: Any] {
    guard FileManager.default.fileExists(atPath: path) else {
      if required { throw ModelError(file: path, "missing") }
      return [:]
    }
    guard let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int,
      size <= Limits.Model.tokenizerFileBytes
    else { throw ModelError(file: path, "cannot be read or is larger than \(Limits.Model.tokenizerFileBytes) bytes") }
    guard let data = FileManager.default.contents(atPath: path),
      let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    else { throw ModelError(file: path, "not a JSON object") }
    return object
  }
}
