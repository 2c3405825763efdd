import Foundation
import Mamba
import Testing

@Suite struct MultiHorizonPoolingTests {
  /// Seconds after the change at which each horizon's pooled embedding is
  /// closer to the new scene than to the old one (both unit, orthogonal).
  private func crossingTimes(fps: Double, change: Double = 20, end: Double = 120) -> [Double?] {
    let dimension = 8
    var old = [Float](repeating: 0, count: dimension)
    old[0] = 1
    var new = [Float](repeating: 0, count: dimension)
    new[1] = 1
    let pooling = MultiHorizonPooling(dimension: dimension)
    var state = pooling.makeState()
    var crossed = [Double?](repeating: nil, count: pooling.horizons.count)
    var t = 0.0
    while t <= end {
      pooling.step(t < change ? old : new, time: t, state: &state)
      for h in pooling.horizons.indices where crossed[h] == nil && state.pooled[h][1] > state.pooled[h][0] {
        crossed[h] = t - change
      }
      t += 1 / fps
    }
    return crossed
  }

  @Test func shortHorizonCrossesWithinItsTimeConstantLongOnesLaterAtAnyFrameRate() throws {
    let horizons = MultiHorizonPooling.defaultHorizons
    let atTwo = crossingTimes(fps: 2)
    let atSeven = crossingTimes(fps: 7)
    for times in [atTwo, atSeven] {
      let crossed = try times.map { try #require($0) }
      #expect(crossed[0] <= horizons[0])
      for h in 1..<horizons.count {
        #expect(
          crossed[h] > crossed[h - 1], "horizon \(horizons[h]) s should cross after \(horizons[h - 1]) s: \(crossed)")
        #expect(crossed[h] <= horizons[h])
      }
    }
    // Continuous time: both rates cross at the same real time, give or take one frame of the slower rate.
    for h in horizons.indices { #expect(abs(atTwo[h]! - atSeven[h]!) <= 0.5 + 1e-9, "horizon \(horizons[h])") }
  }

  @Test func stillSceneKeepsThePoolAndSkippedFramesStillDecayByTime() {
    let pooling = MultiHorizonPooling(dimension: 2, horizons: [2])
    var state = pooling.makeState()
    pooling.step([1, 0], time: 0, state: &state)
    pooling.step([1, 0], time: 10, state: &state)
    #expect(state.pooled[0] == [1, 0] && state.novelty == 0)
    // A new scene seen once, 6 s after the last frame (frames gated in between).
    pooling.step([0, 1], time: 16, state: &state)
    let keep = Float(exp(-3.25))  // Δ = 6 s elapsed + novelty 1 · gain 0.25 · τ 2 s; ā = exp(−Δ/τ)
    #expect(abs(state.pooled[0][0] - keep) < 1e-6 && abs(state.pooled[0][1] - (1 - keep)) < 1e-6)
    #expect(abs(state.novelty - 1) < 1e-9)
  }
}
