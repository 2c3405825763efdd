import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// `monitor run` as a service group, through the real binary (OpenBLAS's
/// threads running): SIGHUP reloads the rules, SIGTERM stops in order within
/// the stop budget, exit status 0.
@Suite struct LifecycleTests {
  @Test(.timeLimit(.minutes(1))) func sighupReloadsAndSigtermStopsInOrder() throws {
    let directory = try Repository.temporaryDirectory("lifecycle")
    try FileManager.default.createDirectory(
      at: directory.appendingPathComponent("rules"), withIntermediateDirectories: true)
    let video = try TestVideos.make(codec: .h264, seconds: 2, fps: 10, width: 96, height: 72, in: directory)
    let config = try DaemonConfig.write(
      in: directory, mqttPort: nil, cameraURL: video.path, cameraLines: ["loop = true"])
    let child = try ChildProcess(try Executables.path("monitor"), ["run", "--config", config])
    try child.waitForOutput("rules: 0 loaded")
    try "id = \"dog\"\ntext = \"a dog\"\n".write(
      toFile: directory.path + "/rules/dog.toml", atomically: true, encoding: .utf8)
    child.signal(SIGHUP)
    try child.waitForOutput("rules reloaded: 1 rule(s)")
    child.signal(SIGHUP)  // a second reload with nothing changed is harmless
    Thread.sleep(forTimeInterval: 0.5)
    let started = Date()
    child.signal(SIGTERM)
    child.process.waitUntilExit()
    #expect(child.process.terminationReason == .exit && child.process.terminationStatus == 0, "\(child.log)")
    #expect(Date().timeIntervalSince(started) < 12, "the stop budget")
    let log = child.log
    let stopping = try #require(log.range(of: "stopping: ending open episodes"), "\(log)")
    let counted = try #require(log.range(of: " frames embedded, "), "\(log)")
    #expect(stopping.lowerBound < counted.lowerBound)
  }
}
