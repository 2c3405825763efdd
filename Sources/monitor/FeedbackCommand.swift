import ArgumentParser
import Foundation
import MonitorKit

/// `monitor feedback ID --false-alarm`: teach a rule what it must not match.
struct FeedbackCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "feedback",
    abstract: "Say an episode was a false alarm: its best frame becomes a picture its rule must not match.",
    discussion: """
      Looks the episode up in the event history (monitor events lists the ids),
      stores its snapshot as state_dir/false-alarms/<rule>/<id>.jpg and notes
      the feedback in the history. A running daemon uses the picture within a
      second, no restart: frames that look like it score lower on that rule,
      on every camera. To undo, delete the file. The same is possible over
      MQTT (Home Assistant's "false alarm" button) and, with the HTTP API on,
      POST /api/events/{id}/false_alarm. Under the shipped systemd unit the
      state directory is private to the service: run this as root.

      Example:
        monitor feedback 3F2A9C1E-6B0D-4E55-9A61-2C7D8E4B1F00 --false-alarm
      """)

  @Argument(help: "The episode's id (monitor events).")
  var id: String

  @Flag(help: "The episode was a false alarm (the only feedback there is so far).")
  var falseAlarm = false

  @Option(help: "Configuration file (its state_dir holds the history and the pictures).")
  var config = "/etc/monitor/monitor.toml"

  func validate() throws {
    guard falseAlarm else { throw ValidationError("say what the episode was: --false-alarm") }
  }

  func run() throws {
    let configuration = try Configuration.forCommand(config)
    let (episode, picture) = try Failure.wrap {
      try FalseAlarmFeedback(configuration: configuration).falseAlarm(id: id)
    }
    print("episode \(id) (rule \(episode.rule), camera \(episode.camera)) is a false alarm: \(picture)")
  }
}
