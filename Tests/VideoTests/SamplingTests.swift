import Core
import Testing
import Video

@Suite struct FrameSamplerTests {
  private func accepted(fps: Double?, cameraFPS: Double, seconds: Double) -> [Double] {
    var sampler = FrameSampler(fps: fps)
    let count = Int(seconds * cameraFPS)
    return (0..<count).map { Double($0) / cameraFPS }.filter { sampler.accept(pts: $0) }
  }

  @Test(arguments: [25.0, 15.0, 30.0, 29.97, 7.0])
  func deliversTwoFramesPerSecondFromAnyCameraRate(cameraFPS: Double) {
    let picked = accepted(fps: 2, cameraFPS: cameraFPS, seconds: 60)
    #expect(abs(picked.count - 120) <= 1)
    for (a, b) in zip(picked, picked.dropFirst()) {
      #expect(b - a > 0.5 - 1 / cameraFPS - 1e-9 && b - a < 0.5 + 1 / cameraFPS)
    }
  }

  @Test func passesEveryFrameWithoutARate() {
    #expect(accepted(fps: nil, cameraFPS: 10, seconds: 3).count == 30)
    #expect(accepted(fps: 0, cameraFPS: 10, seconds: 3).count == 30)
  }

  @Test func restartsTheGridAfterAGapInsteadOfBursting() {
    var sampler = FrameSampler(fps: 2)
    var decisions: [Bool] = []
    for pts in [0, 10, 10.1, 10.4, 10.5] { decisions.append(sampler.accept(pts: pts)) }
    // 10 s comes after an outage: it is taken, and the grid restarts there.
    #expect(decisions == [true, true, false, false, true])
  }

  @Test func slowerCameraThanTargetDeliversEveryFrame() {
    #expect(accepted(fps: 2, cameraFPS: 1, seconds: 10).count == 10)
  }
}

@Suite struct TimelineTests {
  @Test func startsAtZeroAndFollowsRawTime() {
    var timeline = Timeline()
    timeline.beginSegment(gap: 0)
    let first = timeline.map(raw: 1000.0, minStep: 0.04)
    let second = timeline.map(raw: 1000.5, minStep: 0.04)
    #expect(first == 0 && second == 0.5)
  }

  @Test func reconnectContinuesAfterTheRealGap() {
    var timeline = Timeline()
    timeline.beginSegment(gap: 0)
    _ = timeline.map(raw: 5, minStep: 0.04)
    _ = timeline.map(raw: 7, minStep: 0.04)  // pts 2
    timeline.beginSegment(gap: 12)  // camera was away 12 s; its clock restarted
    let resumed = [timeline.map(raw: 0, minStep: 0.04), timeline.map(raw: 1, minStep: 0.04)]
    #expect(resumed == [14, 15])
  }

  @Test func rawClockGoingBackwardsStaysMonotonic() {
    var timeline = Timeline()
    timeline.beginSegment(gap: 0)
    _ = timeline.map(raw: 10, minStep: 0.1)
    let back = timeline.map(raw: 3, minStep: 0.1)
    let after = timeline.map(raw: 3.5, minStep: 0.1)
    #expect(abs(back - 0.1) < 1e-12 && abs(after - 0.6) < 1e-12)
  }

  @Test func loopStartsOneFrameLater() {
    var timeline = Timeline()
    timeline.beginSegment(gap: 0)
    _ = timeline.map(raw: 0, minStep: 0.04)
    _ = timeline.map(raw: 1.96, minStep: 0.04)
    timeline.beginSegment(gap: 0)
    let looped = timeline.map(raw: 0, minStep: 0.04)
    #expect(abs(looped - 2.0) < 1e-12)
  }
}

@Suite struct MotionGateTests {
  private func frame(pts: Double, size: Int = 64, fill: UInt8 = 100, square: (x: Int, y: Int, side: Int)? = nil)
    -> Frame
  {
    var pixels = [UInt8](repeating: fill, count: size * size * 3)
    if let square {
      for y in square.y..<(square.y + square.side) {
        for x in square.x..<(square.x + square.side) {
          for c in 0..<3 { pixels[(y * size + x) * 3 + c] = 250 }
        }
      }
    }
    return Frame(pts: pts, width: size, height: size, pixels: pixels, sourceWidth: size, sourceHeight: size)
  }

  @Test func firstFramePassesStillSceneIsSkippedMotionPasses() {
    var gate = MotionGate()
    let first = gate.evaluate(frame(pts: 0))
    let still = gate.evaluate(frame(pts: 0.5))
    let noise = gate.evaluate(frame(pts: 1.0, fill: 104))  // sensor noise / slight light change
    let moved = gate.evaluate(frame(pts: 1.5, square: (10, 10, 8)))  // small object: 1.6% of the picture
    let stillAgain = gate.evaluate(frame(pts: 2.0, square: (10, 10, 8)))
    #expect(first.passed && !still.passed && !noise.passed && !stillAgain.passed)
    #expect(moved.passed && moved.changedFraction > 0.01)
  }

  @Test func stillSceneStillPassesEveryMaxSkip() {
    var settings = MotionGate.Settings()
    settings.maxSkip = 5
    var gate = MotionGate(settings: settings)
    var passed: [Double] = []
    for pts in stride(from: 0.0, through: 20, by: 0.5) where gate.evaluate(frame(pts: pts)).passed {
      passed.append(pts)
    }
    #expect(passed == [0, 5, 10, 15, 20])
  }

  @Test func slowDriftAccumulatesAgainstTheReference() {
    var gate = MotionGate()
    _ = gate.evaluate(frame(pts: 0, fill: 100))
    let fills: [UInt8] = [103, 106, 109, 112]
    var results: [Bool] = []
    for (i, fill) in fills.enumerated() {
      results.append(gate.evaluate(frame(pts: Double(i + 1) * 0.5, fill: fill)).passed)
    }
    #expect(results == [false, false, false, true])
  }
}
