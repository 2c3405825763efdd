import Testing
import Video

@Suite struct ReconnectBackoffTests {
  private func delays(_ backoff: inout ReconnectBackoff, count: Int, random: Double, from start: Double = 0) -> [Double]
  {
    (0..<count).map { i in
      guard case .reconnect(let after) = backoff.failed(at: start + Double(i), random: random) else { return -1 }
      return after
    }
  }

  @Test func doublesFromOneSecondToThirty() {
    var backoff = ReconnectBackoff()
    #expect(delays(&backoff, count: 8, random: 0) == [1, 2, 4, 8, 16, 30, 30, 30])
  }

  @Test func jitterOnlyShortensAndStaysWithinItsFraction() {
    var backoff = ReconnectBackoff()
    let jittered = delays(&backoff, count: 7, random: 0.999_999)
    let expected: [Double] = [1, 2, 4, 8, 16, 30, 30]
    for (delay, base) in zip(jittered, expected) {
      #expect(delay < base && delay >= base * 0.8 - 1e-9)
    }
  }

  @Test func stableConnectionResetsTheBackoff() {
    var backoff = ReconnectBackoff()
    _ = delays(&backoff, count: 4, random: 0)
    backoff.connected(at: 100)
    backoff.frameReceived(at: 100)
    backoff.frameReceived(at: 111)
    let action = backoff.failed(at: 111, random: 0)
    #expect(action == .reconnect(after: 1))
  }

  @Test func flappingConnectionKeepsBackingOff() {
    var backoff = ReconnectBackoff()
    _ = delays(&backoff, count: 3, random: 0)
    backoff.connected(at: 100)
    backoff.frameReceived(at: 100)
    let action = backoff.failed(at: 103, random: 0)
    #expect(action == .reconnect(after: 8))
  }

  @Test func customPolicy() {
    var backoff = ReconnectBackoff(policy: .init(initial: 0.1, maximum: 0.5, jitter: 0))
    #expect(delays(&backoff, count: 5, random: 0.5).map { ($0 * 1000).rounded() / 1000 } == [0.1, 0.2, 0.4, 0.5, 0.5])
  }
}
