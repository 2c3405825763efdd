import Foundation

/// Reading a Hugging Face CLIP directory (`config.json`, `model.safetensors`,
/// `vocab.json`, `merges.txt`, optional `preprocessor_config.json`). All file
/// access for CLIP lives here, so the CLIP module only computes.
public struct CLIPFiles: Sendable {
  public let directory: String
  public let config: CLIPConfig
  public let weights: SafeTensors
  public let vocabulary: BPEVocabulary
  /// Per-channel `image_mean` and `image_std` (OpenAI's when the file is absent).
  public let imageMean: [Float]
  public let imageStd: [Float]

  public static let openAIMean: [Float] = [0.481_454_66, 0.457_827_5, 0.408_210_73]
  public static let openAIStd: [Float] = [0.268_629_54, 0.261_302_58, 0.275_777_11]

  public init(directory: String) throws(ModelError) {
    self.directory = directory
    for name in ["config.json", "model.safetensors", "vocab.json", "merges.txt"]
    where !FileManager.default.isReadableFile(atPath: directory + "/" + name) {
      throw ModelError(
        file: directory + "/" + name,
        "missing or unreadable (a CLIP model directory needs config.json, model.safetensors, vocab.json, merges.txt)")
    }
    let config = try CLIPConfig(contentsOf: directory + "/config.json")
    let vocabulary = try BPEVocabulary(directory: directory)
    // Ids past the embedding table used to trap at the first text embedding.
    if let (token, id) = vocabulary.tokens.first(where: { $0.value < 0 || Int($0.value) >= config.vocabularySize }) {
      throw ModelError(
        file: directory + "/vocab.json",
        "token '\(token.prefix(40))' has id \(id), outside the \(config.vocabularySize) of config.json's vocab_size")
    }
    self.config = config
    self.vocabulary = vocabulary
    weights = try SafeTensors(path: directory + "/model.safetensors")
    (imageMean, imageStd) = try Self.normalisation(directory + "/preprocessor_config.json")
  }

  /// `image_mean`/`image_std` of a `preprocessor_config.json` (OpenAI's when the file is absent).
  public static func normalisation(_ path: String) throws(ModelError) -> ([Float], [Float]) {
    guard FileManager.default.fileExists(atPath: path) else { return (openAIMean, openAIStd) }
    struct Raw: Decodable {
      // swift-format-ignore: AlwaysUseLowerCamelCase
      var image_mean: [Float]?
      // swift-format-ignore: AlwaysUseLowerCamelCase
      var image_std: [Float]?
    }
    guard let data = FileManager.default.contents(atPath: path),
      let raw = try? JSONDecoder().decode(Raw.self, from: data)
    else { throw ModelError(file: path, "not a valid preprocessor_config.json") }
    let mean = raw.image_mean ?? openAIMean
    let std = raw.image_std ?? openAIStd
    guard mean.count == 3, std.count == 3, std.allSatisfy({ $0 > 0 && $0.isFinite }), mean.allSatisfy(\.isFinite) else {
      throw ModelError(file: path, "image_mean and image_std must have 3 values, std positive")
    }
    return (mean, std)
  }
}

/// `vocab.json` (token → id) and `merges.txt` (symbol pairs, by rank) of a
/// byte-level BPE tokenizer, with the CLIP special tokens checked.
public struct BPEVocabulary: Sendable {
  public let tokens: [String: Int32]
  /// Merge pairs in rank order (first = highest priority).
  public let merges: [(String, String)]
  public let startID: Int32
  public let endID: Int32

  public init(directory: String) throws(ModelError) {
    let vocabularyFile = directory + "/vocab.json"
    let mergesFile = directory + "/merges.txt"
    guard let data = FileManager.default.contents(atPath: vocabularyFile) else {
      throw ModelError(file: vocabularyFile, "cannot read")
    }
    guard let tokens = try? JSONDecoder().decode([String: Int32].self, from: data) else {
      throw ModelError(file: vocabularyFile, "not a JSON object of token → id")
    }
    guard let start = tokens["<|startoftext|>"], let end = tokens["<|endoftext|>"] else {
      throw ModelError(file: vocabularyFile, "has no <|startoftext|> or <|endoftext|> token")
    }
    guard let mergesText = try? String(contentsOfFile: mergesFile, encoding: .utf8) else {
      throw ModelError(file: mergesFile, "cannot read as UTF-8 text")
    }
    var merges: [(String, String)] = []
    for (number, line) in mergesText.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      if line.hasPrefix("#version") || line.isEmpty { continue }
      let parts = line.split(separator: " ")
      guard parts.count == 2 else { throw ModelError(file: mergesFile, "line \(number + 1) is not a pair of symbols") }
      merges.append((String(parts[0]), String(parts[1])))
    }
    self.tokens = tokens
    self.merges = merges
    startID = start
    endID = end
  }
}
