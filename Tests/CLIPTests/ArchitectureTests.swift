import CLIP
import Core
import Foundation
import ModelIO
import Tensor
import TestSupport
import Testing

/// On demand, not in CI: one architecture at its published configuration
/// with random weights (models/architectures, built by
/// `tools/fixtures/architectures.sh --build DIR`), loaded as the daemon loads
/// it and compared with transformers like the tiny checkpoints; prints the
/// resident memory with the model loaded. `scripts/check-architectures` runs
/// it once per architecture (a process each, so the memory is that model's):
/// `MONITOR_ARCHITECTURE_DIR=DIR swift test -c release -Xswiftc -enable-testing --scratch-path
/// .build-testable --filter ArchitectureTests`.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["MONITOR_ARCHITECTURE_DIR"] != nil))
struct ArchitectureTests {
  @Test func matchesTransformersAtItsPublishedConfiguration() throws {
    let directory = ProcessInfo.processInfo.environment["MONITOR_ARCHITECTURE_DIR"]!
    let name = URL(fileURLWithPath: directory).lastPathComponent
    let json = try JSONDecoder().decode(
      CLIPModelTests.Reference.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/reference.json")))
    let reference = try SafeTensors(path: directory + "/reference.safetensors")
    let images = try reference.tensor("image_embeds")
    let texts = try reference.tensor("text_embeds")
    let dim = images.shape[1]
    func expectClose(_ got: [Float], _ expected: Tensor, _ index: Int, _ what: String) {
      let (maxAbs, cosine) = CLIPModelTests.check(got, expected.scalars[(index * dim)..<((index + 1) * dim)])
      print("architecture \(name): \(what) \(index): max abs \(maxAbs), cosine \(cosine)")
      #expect(maxAbs <= 1e-4 && cosine >= 0.99999, "\(name) \(what) \(index): max abs \(maxAbs), cosine \(cosine)")
    }

    var model = try CLIPModel(directory: directory)
    let frames = try CLIPModelTests.frames(reference, size: model.config.imageSize)
    for (i, embedding) in model.embed(frames: frames).enumerated() { expectClose(embedding, images, i, "image") }
    for (i, text) in json.texts.enumerated() {
      #expect(model.tokenizer.encode(text) == json.input_ids[i], "\(name) tokens of \(text.debugDescription)")
      expectClose(model.embed(text: text), texts, i, "text")
    }
    print(
      "architecture \(name): resident \(Int(ResidentMemory.mebibytes)) MiB with the model loaded (fp32), "
        + "peak \(Int(ResidentMemory.peakMebibytes)) MiB")
  }
}
