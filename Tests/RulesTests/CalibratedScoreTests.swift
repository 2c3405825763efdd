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

/// Issue 20: a false alarm as a contrast (`PictureContrast`), by hand.
@Suite struct PictureContrastTests {
  /// References (1,0,0), (0,1,0), (0,0,1): similarity to the picture (1,0,0)
  /// is 1, 0, 0 (mean 1/3, deviation 0.57735); to the prototype (0,1,0) it is
  /// 0, 1, 0 (the same spread): slope 1. At the picture itself it weighs the
  /// prototype's similarity there (0) plus 3 deviations.
  @Test func mappedOntoThePrototypesScaleAnchoredAtTheFalseAlarm() {
    let contrast = PictureContrast(
      picture: [2, 0, 0], references: [[1, 0, 0], [0, 1, 0], [0, 0, 1]], prototype: [0, 1, 0])
    #expect(abs(contrast.slope - 1) < 1e-9)
    let deviation = (1.0 / 3).squareRoot()
    #expect(abs(contrast.similarity([1, 0, 0]) - PictureContrast.margin * deviation) < 1e-9)
    #expect(abs(contrast.similarity([0, 1, 0]) - (PictureContrast.margin * deviation - 1)) < 1e-9)
  }

  /// The frame that raised the alarm no longer scores above the rule's
  /// threshold; a frame as close to the rule's text, but far from the false
  /// alarm, still does. The references vary little towards the false alarm
  /// (deviation 0.07), as camera-like inputs do.
  @Test func theFalseAlarmNoLongerScoresAndATrueMatchStill() {
    let text: [Float] = [0, 1, 0, 0]
    let falseAlarm: [Float] = [0.6, 0.8, 0, 0]  // cos 0.8 to the text: it fired
    let trueMatch: [Float] = [-0.6, 0.8, 0, 0]  // cos 0.8 to the text, 0.28 to the false alarm
    let references: [[Float]] = [
      [0.1, 0, 1, 0], [-0.1, 0, 1, 0], [0.2, 0, 0, 1], [-0.2, 0.1, 0, 1], [0, 0.1, 1, 0], [0, 0, 0.7, 0.7],
    ]
    let backgrounds: [[Float]] = [[0, 0, 0, 1], [0, 0, 1, 0]]
    let before = RuleScorer(positives: [text], before: [], negatives: [], backgrounds: backgrounds, logitScale: 10)
    let after = RuleScorer(
      positives: [text], before: [], negatives: [], backgrounds: backgrounds,
      falseAlarms: [(falseAlarm, references)], logitScale: 10)
    #expect(before.present.score(falseAlarm) > 0.99)
    #expect(after.present.score(falseAlarm) < 0.2, "\(after.present.score(falseAlarm))")
    #expect(after.present.score(trueMatch) > 0.97, "\(after.present.score(trueMatch))")
  }
}
