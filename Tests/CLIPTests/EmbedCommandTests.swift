import CLIP
import Foundation
import ModelIO
import TestSupport
import Testing

/// `monitor embed` end to end: a text and an image file (PPM, already the
/// model's size) give transformers' embeddings.
@Suite struct EmbedCommandTests {
  struct Output: Decodable {
    struct Item: Decodable { var embedding: [Float] }
    struct Pair: Decodable {
      var cosine: Float
      var logit: Float
    }
    var texts: [Item]
    var images: [Item]
    var pairs: [Pair]
    // swift-format-ignore: AlwaysUseLowerCamelCase
    var logit_scale: Float
  }

  @Test func printsReferenceEmbeddingsAsJSON() throws {
    let name = "tiny-quickgelu"
    let directory = CLIPModelTests.root + "/" + name
    let (model, json, reference) = try CLIPModelTests.load(name)
    let frame = try CLIPModelTests.frames(reference, size: model.config.imageSize)[1]
    let image = try Repository.temporaryDirectory("embed").appendingPathComponent("frame.ppm")
    var ppm = Data("P6\n\(frame.width) \(frame.height)\n255\n".utf8)
    ppm.append(contentsOf: frame.pixels)
    try ppm.write(to: image)

    let stdout = try ChildProcess.run(
      try Executables.path("monitor"),
      ["embed", "--model", directory, "--precision", "fp32", "--text", json.texts[0], "--image", image.path])
    let jsonStart = try #require(stdout.firstIndex(of: "{"))
    let output = try JSONDecoder().decode(Output.self, from: Data(stdout[jsonStart...].utf8))
    let texts = try reference.tensor("text_embeds")
    let images = try reference.tensor("image_embeds")
    let dim = texts.shape[1]
    #expect(zip(output.texts[0].embedding, texts.scalars[0..<dim]).allSatisfy { abs($0 - $1) <= 1e-4 })
    #expect(zip(output.images[0].embedding, images.scalars[dim..<(2 * dim)]).allSatisfy { abs($0 - $1) <= 1e-4 })
    let cosine = zip(output.texts[0].embedding, output.images[0].embedding).reduce(0) { $0 + $1.0 * $1.1 }
    #expect(abs(output.pairs[0].cosine - cosine) < 1e-5)
    #expect(abs(output.pairs[0].logit - cosine * output.logit_scale) < 1e-4)
  }

  @Test func missingModelIsOneLine() throws {
    let child = try ChildProcess(try Executables.path("monitor"), ["embed", "--model", "/nonexistent", "--text", "x"])
    child.process.waitUntilExit()
    #expect(child.process.terminationStatus != 0)
    #expect(
      child.log
        == "Error: /nonexistent/config.json: missing or unreadable (a model directory needs config.json, model.safetensors)\n"
    )
  }
}
