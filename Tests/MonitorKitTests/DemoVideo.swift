import Foundation
import TestSupport

/// The bundled demo camera video and its true events (`camera.events.json`).
enum DemoVideo {
  static let path = Repository.root.appendingPathComponent("models/synthetic/demo/camera.mp4").path

  struct Event: Decodable {
    var start: Double
    var end: Double
    var action: String
  }

  private struct Truth: Decodable { var events: [Event] }

  static func events() throws -> [Event] {
    try JSONDecoder().decode(
      Truth.self,
      from: Data(contentsOf: URL(fileURLWithPath: path.replacingOccurrences(of: ".mp4", with: ".events.json")))
    ).events
  }
}
