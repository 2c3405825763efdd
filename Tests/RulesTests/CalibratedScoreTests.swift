import Foundation
import Rules
import Testing

@Suite struct CalibratedScoreTests {
  /// Hand-computed: unit vectors, logit scale 10.
  /// prototype = normalise((1,0,0) + (0.6,0.8,0)) = (0.8944, 0.4472, 0); contrasts (0,1,0) and (0,0,1).
  /// embedding e = (1,0,0): logits 10·0.8944 = 8.944, 0, 0 → p = e^8.944 / (e^8.944 + 2) = 0.99974.
  @Test func softmaxOverPrototypeAndContrastsByHand() {
    let scorer = CalibratedScore(
      positives: [[1, 0, 0], [0.6, 0.8, 0]], negatives: [[0, 1, 0]], backgrounds: [[0, 0, 2]], logitScale: 10)
    let expected = exp(8.944_271_9) / (exp(8.944_271_9) + 2)
    #expect(abs(scorer.score([1, 0, 0]) - expected) < 1e-6)
    // Equidistant from everything: chance among the three classes.
    #expect(abs(scorer.score([0, 0, 0]) - 1.0 / 3) < 1e-9)
    // Closer to the negative: low.
    #expect(scorer.score([0, 1, 0]) < 0.05)
    // Scale does not matter, direction does.
    #expect(abs(scorer.score([5, 0, 0]) - expected) < 1e-6)
  }

  @Test func medianSmootherDropsSingleSpikes() {
    var smoother = ScoreSmoother(window: 3)
    let out = [0.1, 0.9, 0.1, 0.1, 0.8, 0.8].map { smoother.add($0) }
    #expect(out == [0.1, 0.5, 0.1, 0.1, 0.1, 0.8])
  }
}
