import CLIP
import Config
import Core
import Foundation
import Video

/// `monitor embed`: CLIP embeddings of texts and images, and every pair's
/// cosine and logit, as the command prints them.
public enum Embedder {
  /// `model`: a Hugging Face CLIP directory; nil: the embedded model. Images
  /// are read with the model's picture geometry (their first frame).
  public static func embed(
    model: String?, texts: [String], images: [String], precision: Configuration.ModelPrecision = .fp32,
    log: (String) -> Void
  ) throws -> EmbedOutput {
    var clip = try PrecisionChoice.load(precision, log: log) { precision in
      try model.map { try CLIPModel(directory: $0, precision: precision) }
        ?? EmbeddedModel.withFiles(EmbeddedModel.clipFiles) { try CLIPModel(directory: $0, precision: precision) }
    }
    var output = EmbedOutput(model: model ?? EmbeddedModel.name, logitScale: clip.logitScale)
    for text in texts {
      if clip.tokenizer.isTruncated(text) {
        log("embed: text longer than \(clip.config.contextLength) tokens is truncated: \(text.prefix(40))…")
      }
      output.texts.append(.init(text: text, embedding: clip.embed(text: text)))
    }
    for path in images {
      var options = SourceOptions()
      options.geometry = clip.geometry
      options.sampleRate = nil
      guard let frame = try VideoSource(url: path, options: options).nextFrame() else {
        throw ConfigError(file: path, line: 0, "no picture could be decoded")
      }
      output.images.append(.init(image: path, embedding: clip.embed(frames: [frame])[0]))
    }
    for t in output.texts {
      for i in output.images {
        let cosine = Float(Embedding.cosine(t.embedding, i.embedding))
        output.pairs.append(.init(text: t.text, image: i.image, cosine: cosine, logit: cosine * clip.logitScale))
      }
    }
    return output
  }
}

public struct EmbedOutput: Encodable {
  struct Text: Encodable {
    var text: String
    var embedding: [Float]
  }
  struct Image: Encodable {
    var image: String
    var embedding: [Float]
  }
  struct Pair: Encodable {
    var text: String
    var image: String
    var cosine: Float
    var logit: Float
  }
  var model: String
  var logitScale: Float
  var texts: [Text] = []
  var images: [Image] = []
  var pairs: [Pair] = []

  enum CodingKeys: String, CodingKey {
    case model, texts, images, pairs
    case logitScale = "logit_scale"
  }
}
