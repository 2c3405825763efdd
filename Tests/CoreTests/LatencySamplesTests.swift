import Core
import Testing

@Suite struct LatencySamplesTests {
  @Test func nearestRankPercentiles() {
    var samples = LatencySamples()
    #expect(samples.percentile(50) == nil)
    for ms in 1...100 { samples.add(Double(ms) / 1000) }
    #expect(samples.percentile(50) == 0.050)
    #expect(samples.percentile(99) == 0.099)
    #expect(samples.percentile(100) == 0.100)
    #expect(samples.percentile(0) == 0.001)
  }

  @Test func boundedAndTakenPerInterval() {
    var samples = LatencySamples(capacity: 4)
    for value in [1.0, 2, 3, 4, 9, 9] { samples.add(value) }
    #expect(samples.seconds.count == 4 && samples.count == 6)
    #expect(samples.seconds.sorted() == [3, 4, 9, 9])  // the oldest were replaced
    let interval = samples.take()
    #expect(interval.count == 6 && samples.count == 0 && samples.seconds.isEmpty)
  }

  @Test func measuresElapsedTime() {
    var samples = LatencySamples()
    samples.add(since: .now - .milliseconds(250))
    #expect((0.25..<1).contains(samples.seconds[0]))
  }
}
