import Core
import Mamba
import Rules
import Tensor
import Testing

/// What follows the image tower works at the widths real checkpoints embed
/// in: 768 (CLIP ViT-L/14, SigLIP base), 1024 (SigLIP large), 1152 (SigLIP
/// So400m): training-free pooling, a temporal adapter, and a transition
/// rule's two scores.
@Suite struct EmbeddingWidthTests {
  private static func unit(_ count: Int, _ generator: inout SplitMix64) -> [Float] {
    Embedding.normalisedMean([(0..<count).map { _ in generator.nextFloat(in: -1...1) }])
  }

  @Test(arguments: [768, 1024, 1152])
  func poolingAdapterAndTransitionRulesRunAtWidth(width: Int) {
    var generator = SplitMix64(seed: UInt64(width))
    let frames = (0..<12).map { _ in Self.unit(width, &generator) }

    let pooling = MultiHorizonPooling(dimension: width)
    var pooled = pooling.makeState()
    for (i, e) in frames.enumerated() { pooling.step(e, time: Double(i) * 0.5, state: &pooled) }
    #expect(pooled.pooled.allSatisfy { $0.count == width && $0.allSatisfy(\.isFinite) })

    let config = MambaConfig(dModel: width)
    var adapter = TemporalAdapter(
      block: MambaBlock(weights: MambaWeights(random: config, seed: 3)),
      normWeight: [Float](repeating: 1, count: width),
      normBias: [Float](repeating: 0, count: width), gate: 0.5)
    var state = adapter.makeState()
    var output = [Float](repeating: 0, count: width)
    for (i, e) in frames.enumerated() { adapter.step(e, time: Double(i) * 0.5, state: &state, into: &output) }
    #expect(output.allSatisfy(\.isFinite) && Embedding.cosine(output, frames.last!) < 0.9999)

    let scorer = RuleScorer(
      positives: [Self.unit(width, &generator)], before: [Self.unit(width, &generator)], negatives: [],
      backgrounds: [Self.unit(width, &generator), Self.unit(width, &generator)], logitScale: 117)
    let present = scorer.present.score(output)
    let before = scorer.before!.score(output)
    #expect(present > 0 && present < 1 && before > 0 && before < 1)
  }
}
