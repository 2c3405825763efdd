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
    var smoother = ScoreSmoother()
    // 4 fps: the window holds three frames.
    let scores = [0.1, 0.9, 0.1, 0.1, 0.8, 0.8]
    let out = scores.enumerated().map { smoother.add($1, time: Double($0) * 0.25) }
    #expect(out == [0.1, 0.5, 0.1, 0.1, 0.1, 0.8])
  }

  /// The window is seconds, not frames: at 8 fps a spike of two frames is
  /// still dropped (six frames in the window); at 2 fps it holds two frames.
  @Test func medianSmootherWindowIsInSeconds() {
    var fast = ScoreSmoother()
    let burst = [0.1, 0.1, 0.1, 0.1, 0.9, 0.9, 0.1, 0.1]
    let out = burst.enumerated().map { fast.add($1, time: 10 + Double($0) * 0.125) }
    #expect(out.allSatisfy { $0 <= 0.5 }, "\(out)")
    var slow = ScoreSmoother()
    #expect([0.2, 0.6, 1.0].enumerated().map { slow.add($1, time: Double($0) * 0.5) } == [0.2, 0.4, 0.8])
    // Jittered timestamps (a 90 kHz clock) do not let a fourth frame in at 4 fps.
    var jittered = ScoreSmoother()
    let times = [0.0, 0.2500111, 0.4999889, 0.7500111]
    let values = zip([0.9, 0.1, 0.1, 0.1], times).map { jittered.add($0, time: $1) }
    #expect(values.last == 0.1)
  }
}
