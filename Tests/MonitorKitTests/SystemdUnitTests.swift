import Foundation
import TestSupport
import Testing

/// The unit file asks for what the daemon needs and nothing more.
@Suite struct SystemdUnitTests {
  static let unit = Repository.root.appendingPathComponent("systemd/monitor.service").path

  @Test func declaresNotifyReloadRestartAndHardening() throws {
    let text = try String(contentsOfFile: Self.unit, encoding: .utf8)
    for directive in [
      "Type=notify", "ExecReload=/bin/kill -HUP $MAINPID", "Restart=on-failure", "WatchdogSec=",
      "StateDirectory=monitor",
      "DynamicUser=yes", "SupplementaryGroups=video", "ProtectSystem=strict", "LoadCredential=mqtt-password:",
    ] {
      #expect(text.contains(directive), "missing \(directive)")
    }
  }

  /// `systemd-analyze security` rates exposure 0–10; the unit must stay "OK" (≤ 2.5).
  @Test func exposureStaysLow() throws {
    let child = try ChildProcess(
      "/usr/bin/systemd-analyze", ["security", "--offline=true", "--threshold=25", "--no-pager", Self.unit])
    child.process.waitUntilExit()
    #expect(
      child.process.terminationStatus == 0, "\(child.log.split(separator: "\n").suffix(3).joined(separator: "\n"))")
  }
}
