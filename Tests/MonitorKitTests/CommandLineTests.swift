import Foundation
import TestSupport
import Testing

/// Numeric options an operator can mistype (L5): each refused with its
/// range instead of trapping (NaN, 1e300), spinning (0) or hanging (100,000 threads).
@Suite struct CommandLineTests {
  private func monitor(_ arguments: [String]) throws -> (status: Int32, output: String) {
    let child = try ChildProcess(try Executables.path("monitor"), arguments)
    child.process.waitUntilExit()
    return (child.process.terminationStatus, child.log)
  }

  @Test(arguments: [
    (["run", "--stats-interval", "0"], "--stats-interval must be 1…86400 seconds, got 0.0"),
    (["run", "--stats-interval", "nan"], "--stats-interval must be 1…86400 seconds, got nan"),
    (["run", "--stats-interval", "1e300"], "--stats-interval must be 1…86400 seconds, got 1e+300"),
    (["probe", "x.mp4", "--open-timeout", "nan"], "--open-timeout must be 0.1…3600 seconds, got nan"),
    (["probe", "x.mp4", "--open-timeout=-1"], "--open-timeout must be 0.1…3600 seconds, got -1.0"),
    (
      ["probe", "x.mp4", "--decoder-threads", "100000"], "--decoder-threads must be 0…64 (0 = one per core), got 100000"
    ),
  ])
  func l5NumericOptionsAreRefusedWithTheirRange(arguments: [String], message: String) throws {
    let result = try monitor(arguments)
    #expect(result.status != 0 && result.output.contains(message), "\(result.output)")
  }
}
