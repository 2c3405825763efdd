import Alerts
import Foundation
import TestSupport
import Testing

/// TLS with a private CA and username/password, against a mosquitto
/// configured for both; a wrong password is one clear line that never
/// contains the password.
@Suite(.serialized) struct AuthenticationTests {
  /// CA, server certificate for 127.0.0.1, password file; readable by the broker's user.
  static func credentials() throws -> URL {
    let directory = try Repository.temporaryDirectory("tls")
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
    let d = directory.path
    let script = """
      set -e
      cd \(d)
      openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=monitor-test-ca -keyout ca.key -out ca.crt 2>/dev/null
      openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout server.key -out server.csr 2>/dev/null
      printf 'subjectAltName=IP:127.0.0.1' > san.ext
      openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile san.ext -out server.crt 2>/dev/null
      touch passwords && mosquitto_passwd -b passwords monitor 'c0rrect-horse'
      chmod 644 *
      """
    try ChildProcess.run("/bin/sh", ["-c", script])
    return directory
  }

  static func broker(_ credentials: URL) throws -> MosquittoBroker {
    try MosquittoBroker { port in
      """
      listener \(port) 127.0.0.1
      cafile \(credentials.path)/ca.crt
      certfile \(credentials.path)/server.crt
      keyfile \(credentials.path)/server.key
      allow_anonymous false
      password_file \(credentials.path)/passwords

      """
    }
  }

  static func publisher(port: Int, ca: String, password: String, log: Recorder<String>) throws -> MQTTPublisher {
    var settings = MQTTPublisher.Settings(
      topics: Topics(prefix: "monitor", node: "tls"), clientID: "tls-\(password.count)")
    settings.host = "127.0.0.1"
    settings.port = port
    settings.tlsCA = ca
    settings.username = "monitor"
    settings.password = password
    let outbox = try Outbox(directory: try Repository.temporaryDirectory("tls-outbox").path)
    return try MQTTPublisher(settings: settings, outbox: outbox) { log.append($0) }
  }

  @Test func tlsAndPasswordDeliver() throws {
    let credentials = try Self.credentials()
    let broker = try Self.broker(credentials)
    let log = Recorder<String>()
    let publisher = try Self.publisher(
      port: broker.port, ca: credentials.path + "/ca.crt", password: "c0rrect-horse", log: log)
    publisher.start()
    #expect(waitUntil(timeout: 10) { publisher.isConnected }, "\(log.all)")
    publisher.deliver(PublisherTests.event(.new, id: "tls-1", time: 1))
    #expect(waitUntil(timeout: 10) { publisher.outbox.count == 0 })
    publisher.stop()
  }

  @Test func wrongPasswordIsOneClearLineWithoutThePassword() throws {
    let credentials = try Self.credentials()
    let broker = try Self.broker(credentials)
    let log = Recorder<String>()
    let publisher = try Self.publisher(
      port: broker.port, ca: credentials.path + "/ca.crt", password: "hunter2-wrong", log: log)
    publisher.start()
    #expect(waitUntil(timeout: 10) { log.all.contains { $0.contains("refused") } }, "\(log.all)")
    #expect(!publisher.isConnected)
    let line = log.all.first { $0.contains("refused") } ?? ""
    #expect(line.hasPrefix("mqtt 127.0.0.1:\(broker.port): broker refused the connection: "), "\(line)")
    #expect(line.lowercased().contains("not authori"), "\(line)")
    #expect(!log.all.joined().contains("hunter2"))
    publisher.stop()
  }
}
