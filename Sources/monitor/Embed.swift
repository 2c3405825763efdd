import ArgumentParser
import Foundation
import MonitorKit

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

  @Option(
    help:
      "What CLIP computes in: auto (int8 where this CPU runs it fast and its accuracy check passes, else bf16 likewise, else fp32), fp32, int8 or bf16."
  )
  var precision: Configuration.ModelPrecision = .auto

  @Option(help: "A text to embed (repeatable).")
  var text: [String] = []

  @Option(help: "An image file to embed (repeatable).")
  var image: [String] = []

  func validate() throws {
    if text.isEmpty && image.isEmpty { throw ValidationError("give at least one --text or --image") }
  }

  func run() throws {
    let output = try Failure.wrap {
      try Embedder.embed(model: model, texts: text, images: image, precision: precision, log: logLine)
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(output), as: UTF8.self))
  }
}

/// `--precision auto|fp32|int8|bf16` (`[model] precision` for one command).
extension Configuration.ModelPrecision: ExpressibleByArgument {}
