import Foundation
import MonitorKit

/// Renders a replay result as tables and sparklines, or as JSON.
enum ReplayReport {
  static func sparkline(_ values: [Double], width: Int = 60) -> String {
    guard !values.isEmpty else { return "" }
    let blocks = Array("▁▂▃▄▅▆▇█")
    let bucket = max(1, (values.count + width - 1) / width)
    return stride(from: 0, to: values.count, by: bucket).map { start in
      let top = values[start..<min(start + bucket, values.count)].max() ?? 0
      return String(blocks[min(blocks.count - 1, max(0, Int(top * Double(blocks.count))))])
    }.joined()
  }

  static func text(_ result: Replay.Result) -> String {
    var lines: [String] = []
    // A transition rule shows two columns: `before`'s score, then the present's.
    let header = ["TIME"] + result.rules.flatMap { $0.isTransition ? [$0.id + ":before", $0.id] : [$0.id] }
    let rows = result.steps.map { step in
      [String(format: "%7.2f", step.time)]
        + result.rules.indices.flatMap { i in
          let present = String(format: "%.3f", step.scores[i])
          guard result.rules[i].isTransition else { return [present] }
          return [step.before[i].map { String(format: "%.3f", $0) } ?? "-", present]
        }
    }
    lines.append(Table.render(header: header, rows: rows))
    lines.append("")
    for (i, rule) in result.rules.enumerated() {
      let scores = result.steps.map { $0.scores[i] }
      let peak = scores.max() ?? 0
      lines.append(
        "\(rule.id) (\"\(rule.text[0])\", threshold \(rule.threshold)): peak \(String(format: "%.3f", peak))")
      lines.append("  \(sparkline(scores))")
      if rule.isTransition {
        let before = result.steps.map { $0.before[i] ?? 0 }
        lines.append(
          "  before \"\(rule.before[0])\" within \(rule.within) s (threshold \(rule.effectiveBeforeThreshold)): "
            + "peak \(String(format: "%.3f", before.max() ?? 0))")
        lines.append("  \(sparkline(before))")
      }
    }
    lines.append("")
    let episodes = result.events.filter { $0.kind != .update }
    lines.append(episodes.isEmpty ? "no episodes" : "episodes:")
    for event in episodes { lines.append("  \(event.summary)") }
    lines.append("\(result.frames) frames scored, \(result.embedded) embedded (still frames reuse the last embedding)")
    return lines.joined(separator: "\n")
  }

  struct JSONReport: Encodable {
    struct Rule: Encodable {
      var id: String
      var text: String
      var threshold: Double
      /// Transition rules only (absent otherwise, so plain rules' reports do not change).
      var before: String?
      var within: Double?
      var beforeThreshold: Double?
      /// Rules that watch regions only.
      var regions: [String]?

      enum CodingKeys: String, CodingKey {
        case id, text, threshold, before, within, regions
        case beforeThreshold = "before_threshold"
      }
    }
    struct Step: Encodable {
      var time: Double
      var scores: [Double]
      /// Per rule, `before`'s smoothed score (null for a plain rule); absent without transition rules.
      var before: [Double?]?
      /// SigLIP models only: their own sigmoid probability per rule, for reference.
      var sigmoid: [Double]?
      /// Per rule, the region its score is of (null: the whole frame); absent without region rules.
      var regions: [String?]?

      enum CodingKeys: String, CodingKey {
        case time, scores, before, regions
        case sigmoid = "siglip_probability"
      }
    }
    struct Event: Encodable {
      var type: String
      var id: String
      var rule: String
      var score: Double
      var topScore: Double
      var startTime: Double
      var endTime: Double?
      var frameTime: Double
      var beforeTime: Double?
      var region: String?

      enum CodingKeys: String, CodingKey {
        case type, id, rule, score, region
        case beforeTime = "before_time"
        case topScore = "top_score"
        case startTime = "start_time"
        case endTime = "end_time"
        case frameTime = "frame_time"
      }
    }
    var rules: [Rule]
    var steps: [Step]
    var events: [Event]
  }

  static func json(_ result: Replay.Result) -> String {
    let transitions = result.rules.contains(where: \.isTransition)
    let regions = result.rules.contains { !$0.regions.isEmpty }
    let report = JSONReport(
      rules: result.rules.map {
        .init(
          id: $0.id, text: $0.text[0], threshold: $0.threshold, before: $0.before.first,
          within: $0.isTransition ? $0.within : nil,
          beforeThreshold: $0.isTransition ? $0.effectiveBeforeThreshold : nil,
          regions: $0.regions.isEmpty ? nil : $0.regions)
      },
      steps: result.steps.map {
        .init(
          time: $0.time, scores: $0.scores, before: transitions ? $0.before : nil, sigmoid: $0.sigmoid,
          regions: regions ? $0.regions : nil)
      },
      events: result.events.map {
        .init(
          type: $0.kind.rawValue, id: $0.id, rule: $0.rule, score: $0.score, topScore: $0.topScore,
          startTime: $0.startTime, endTime: $0.endTime, frameTime: $0.frameTime, beforeTime: $0.beforeTime,
          region: $0.region)
      })
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return String(decoding: (try? encoder.encode(report)) ?? Data(), as: UTF8.self)
  }
}
