import Core
import Foundation

/// Reading a Hugging Face CLIP or SigLIP directory (`config.json`,
/// `model.safetensors`, the tokenizer's files, optional
/// `preprocessor_config.json`). All file access for the text-image models
/// lives here, so the CLIP module only computes.
public struct CLIPFiles: Sendable {
  public let directory: String
  public let config: CLIPConfig
  public let weights: SafeTensors
  public let vocabulary: Vocabulary
  /// What `preprocessor_config.json` asks of a picture (OpenAI's CLIP processing when absent).
  public let imageProcessing: ImageProcessing
  public var imageMean: [Float] { imageProcessing.mean }
  public var imageStd: [Float] { imageProcessing.std }

  public static let openAIMean: [Float] = [0.481_454_66, 0.457_827_5, 0.408_210_73]
  public static let openAIStd: [Float] = [0.268_629_54, 0.261_302_58, 0.275_777_11]

  /// A tokenizer's files, by family.
  public enum Vocabulary: Sendable {
    /// CLIP's byte-level BPE (`vocab.json`, `merges.txt`).
    case bytePairs(BPEVocabulary)
    /// SigLIP's SentencePiece unigram model (`spiece.model`).
    case sentencePiece(SentencePieceModel, path: String)
    /// SigLIP 2's Gemma BPE (`tokenizer.json`, `tokenizer_config.json`).
    case gemma(GemmaTokenizerFiles, path: String)
  }

  public init(directory: String) throws(ModelError) {
    self.directory = directory
    for name in ["config.json", "model.safetensors"]
    where !FileManager.default.isReadableFile(atPath: directory + "/" + name) {
      throw ModelError(
        file: directory + "/" + name, "missing or unreadable (a model directory needs config.json, model.safetensors)")
    }
    let config = try CLIPConfig(contentsOf: directory + "/config.json")
    let vocabulary = try Self.vocabulary(directory: directory, config: config)
    self.config = config
    self.vocabulary = vocabulary
    weights = try SafeTensors(path: directory + "/model.safetensors")
    imageProcessing = try Self.imageProcessing(
      directory + "/preprocessor_config.json", imageSize: config.imageSize)
  }

  /// The family's tokenizer files, every id checked against the embedding
  /// table (ids past it used to trap at the first text embedding).
  public static func vocabulary(directory: String, config: CLIPConfig) throws(ModelError) -> Vocabulary {
    func need(_ names: [String], _ family: String) throws(ModelError) {
      for name in names where !FileManager.default.isReadableFile(atPath: directory + "/" + name) {
        throw ModelError(
          file: directory + "/" + name,
          "missing or unreadable (a \(family) model directory needs \(names.joined(separator: ", ")))")
      }
    }
    switch config.family {
    case .clip:
      try need(["vocab.json", "merges.txt"], "CLIP")
      let vocabulary = try BPEVocabulary(directory: directory)
      if let (token, id) = vocabulary.tokens.first(where: { $0.value < 0 || Int($0.value) >= config.vocabularySize }) {
        throw ModelError(
          file: directory + "/vocab.json",
          "token '\(token.prefix(40))' has id \(id), outside the \(config.vocabularySize) of config.json's vocab_size")
      }
      return .bytePairs(vocabulary)
    case .siglip:
      let path = directory + "/spiece.model"
      let json = directory + "/tokenizer.json"
      if !FileManager.default.fileExists(atPath: path) && FileManager.default.fileExists(atPath: json) {
        // SigLIP 2: Gemma's tokenizer.
        let files = try GemmaTokenizerFiles(directory: directory)
        let ids = files.vocabulary.map { ($0.key, $0.value) } + files.addedTokens.map { ($0.content, $0.id) }
        if let (token, id) = ids.first(where: { Int($0.1) >= config.vocabularySize }) {
          throw ModelError(
            file: json,
            "token '\(token.prefix(40))' has id \(id), outside the \(config.vocabularySize) of config.json's vocab_size"
          )
        }
        return .gemma(files, path: json)
      }
      try need(["spiece.model"], "SigLIP (spiece.model, or SigLIP 2's tokenizer.json)")
      let model = try SentencePieceModel(path: path)
      guard model.pieces.count <= config.vocabularySize else {
        throw ModelError(
          file: path,
          "has \(model.pieces.count) pieces, more than the \(config.vocabularySize) of config.json's vocab_size")
      }
      return .sentencePiece(model, path: path)
    }
  }

  /// The normalisation and geometry a `preprocessor_config.json` asks for,
  /// checked against the vision tower's `imageSize`: CLIP's processor
  /// (`size.shortest_edge` + `center_crop`), SigLIP's (`size` height ×
  /// width, no crop), `resample` 2 (bilinear) or 3 (bicubic; others too).
  /// OpenAI's CLIP processing when the file is absent.
  public static func imageProcessing(_ path: String, imageSize: Int) throws(ModelError) -> ImageProcessing {
    guard FileManager.default.fileExists(atPath: path) else {
      return ImageProcessing(mean: openAIMean, std: openAIStd, geometry: .clip(imageSize))
    }
    guard let data = FileManager.default.contents(atPath: path),
      let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    else { throw ModelError(file: path, "not a valid preprocessor_config.json") }
    func floats(_ key: String, _ fallback: [Float]) throws(ModelError) -> [Float] {
      guard let value = json[key] else { return fallback }
      guard let numbers = value as? [NSNumber], numbers.count == 3 else {
        throw ModelError(file: path, "\(key) must be 3 numbers")
      }
      return numbers.map(\.floatValue)
    }
    let mean = try floats("image_mean", openAIMean)
    let std = try floats("image_std", openAIStd)
    guard std.allSatisfy({ $0 > 0 && $0.isFinite }), mean.allSatisfy(\.isFinite) else {
      throw ModelError(file: path, "image_mean and image_std must have 3 values, std positive")
    }
    let filter: PictureGeometry.Filter = (json["resample"] as? NSNumber)?.intValue == 2 ? .bilinear : .bicubic
    let geometry = try Self.geometry(json, imageSize: imageSize, filter: filter, path: path)
    return ImageProcessing(mean: mean, std: std, geometry: geometry)
  }

  private static func geometry(
    _ json: [String: Any], imageSize: Int, filter: PictureGeometry.Filter, path: String
  ) throws(ModelError) -> PictureGeometry {
    /// An integer or a {height, width} / {shortest_edge} object, as transformers writes sizes.
    func side(_ key: String) throws(ModelError) -> (shortest: Int?, height: Int?, width: Int?)? {
      guard let value = json[key] else { return nil }
      if let number = value as? NSNumber { return (number.intValue, nil, nil) }
      guard let object = value as? [String: Any] else { throw ModelError(file: path, "\(key) is not a size") }
      let int = { (name: String) in (object[name] as? NSNumber)?.intValue }
      return (int("shortest_edge"), int("height"), int("width"))
    }
    func check(_ value: Int?, _ what: String) throws(ModelError) {
      guard let value, value != imageSize else { return }
      throw ModelError(file: path, "\(what) is \(value), but the vision tower's image_size is \(imageSize)")
    }
    let size = try side("size")
    let crop = try side("crop_size")
    let centreCrop = (json["do_center_crop"] as? Bool) ?? (crop != nil)
    if let size, size.shortest == nil, let height = size.height, let width = size.width {
      // SigLIP: resize both sides, no crop.
      guard height == width else { throw ModelError(file: path, "size \(height)x\(width) is not square") }
      try check(height, "size")
      return PictureGeometry(size: imageSize, resize: .squash, filter: filter)
    }
    try check(size?.shortest, "size.shortest_edge")
    if centreCrop {
      try check(crop?.shortest ?? crop?.height, "crop_size")
      try check(crop?.width, "crop_size width")
    }
    return PictureGeometry(size: imageSize, resize: .shortestSideThenCentreCrop, filter: filter)
  }
}

/// What a checkpoint's image processor does to a picture before the vision tower.
public struct ImageProcessing: Sendable, Equatable {
  /// Per-channel `image_mean` and `image_std`.
  public var mean: [Float]
  public var std: [Float]
  public var geometry: PictureGeometry
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
