import Alerts
import Core
import Foundation
import Testing

@Suite struct PayloadsTests {
  /// L15: one NaN (a broken model's score) made the whole event payload `{}`.
  @Test func l15NonFiniteNumbersBecomeNullNotAnEmptyPayload() throws {
    let event = AlertEvent(
      kind: .new, id: "e1", camera: "hall", rule: "falls", label: "a person falls", score: .nan, topScore: .infinity,
      threshold: 0.6, startTime: 1, endTime: nil, frameTime: 1, snapshot: nil, model: "test")
    let object = try #require(try JSONSerialization.jsonObject(with: Payloads.event(event)) as? [String: Any])
    #expect(object["id"] as? String == "e1" && object["camera"] as? String == "hall")
    #expect(object["score"] is NSNull && object["top_score"] is NSNull)
    let stats = try JSONSerialization.jsonObject(with: Payloads.stats(["a": Double.nan, "b": ["c": 1.5]]))
    #expect((stats as? [String: Any])?["a"] is NSNull)
  }
}
