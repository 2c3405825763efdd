import ArgumentParser
import CLIP
import Core
import Foundation
import MonitorKit
import Video

/// `monitor embed`: CLIP embeddings of texts and images as JSON, so anyone
/// can compare them with their own reference implementation.
struct Embed: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Print CLIP embeddings of texts and images as JSON (and their cosine and logit).",
    discussion: """
      --model is a Hugging Face CLIP directory (config.json, model.safetensors,
      vocab.json, merges.txt), e.g. openai/clip-vit-base-patch32 copied onto the box;
      without it, the small synthetic-world model embedded in monitor.
      Images are any still image or video FFmpeg decodes (the first frame), resized
      and centre-cropped as CLIP's processor does. Given texts and images, every
      pair's cosine and logit (cosine × the model's logit scale) is printed too.

      Examples:
        monitor embed --model /var/lib/monitor/clip --text "a person falls down"
        monitor embed --model ./clip --text "a cat" --text "a dog" --image cat.jpg
      """)

  @Option(help: "CLIP model directory in Hugging Face layout (default: the model embedded in monitor).")
  var model: String?

  @Option(help: "A text to embed (repeatable).")
  var text: [String] = []

  @Option(help: "An image file to embed (repeatable).")
  var image: [String] = []

  func validate() throws {
    if text.isEmpty && image.isEmpty { throw ValidationError("give at least one --text or --image") }
  }

  func run() throws {
    var clip = try Failure.wrap {
      if let model { return try CLIPModel(directory: model) }
      return try EmbeddedModel.withFiles(EmbeddedModel.clipFiles) { try CLIPModel(directory: $0) }
    }
    var output = EmbedOutput(model: model ?? EmbeddedModel.name, logitScale: clip.logitScale)
    for text in text {
      if clip.tokenizer.isTruncated(text) {
        logLine("embed: text longer than \(clip.config.contextLength) tokens is truncated: \(text.prefix(40))…")
      }
      output.texts.append(.init(text: text, embedding: clip.embed(text: text)))
    }
    for path in image {
      var options = SourceOptions()
      options.geometry = clip.geometry
      options.sampleRate = nil
      let frame = try Failure.wrap { try VideoSource(url: path, options: options).nextFrame() }
      guard let frame else { throw Failure("\(path): no picture could be decoded") }
      output.images.append(.init(image: path, embedding: clip.embed(frames: [frame])[0]))
    }
    for t in output.texts {
      for i in output.images {
        let cosine = Float(Embedding.cosine(t.embedding, i.embedding))
        output.pairs.append(.init(text: t.text, image: i.image, cosine: cosine, logit: cosine * clip.logitScale))
      }
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(output), as: UTF8.self))
  }
}

struct EmbedOutput: Encodable {
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
