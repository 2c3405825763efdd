import TestSupport
import Testing
import Video

#if canImport(Glibc)
  import Glibc
#endif

@Suite struct SourceSpecTests {
  @Test func parsesEverySupportedForm() throws {
    #expect(try SourceSpec(parsing: "rtsp://cam/stream").kind == .rtsp(url: "rtsp://cam/stream"))
    // L16: FFmpeg knows schemes in lower case only; the rest of the URL is kept as typed.
    #expect(try SourceSpec(parsing: "RTSPS://Cam:322/S").kind == .rtsp(url: "rtsps://Cam:322/S"))
    #expect(try SourceSpec(parsing: "v4l2:/dev/video0").kind == .v4l2(device: "/dev/video0"))
    #expect(try SourceSpec(parsing: "v4l2:///dev/video2").kind == .v4l2(device: "/dev/video2"))
    #expect(try SourceSpec(parsing: "lavfi:testsrc=size=64x64").kind == .lavfi(graph: "testsrc=size=64x64"))
    #expect(try SourceSpec(parsing: "file:///srv/a.mp4").kind == .file(path: "/srv/a.mp4"))
    #expect(try SourceSpec(parsing: "  /srv/a b.mp4 ").kind == .file(path: "/srv/a b.mp4"))
    #expect(try SourceSpec(parsing: "clips/a.mkv").kind == .file(path: "clips/a.mkv"))
    #expect(try SourceSpec(parsing: "rtsp://cam/s").isLive)
    #expect(try !SourceSpec(parsing: "a.mp4").isLive)
  }

  @Test func rejectsUnknownSchemeNamingItAndMaskingThePassword() {
    #expect {
      try SourceSpec(parsing: "http://admin:hunter2@cam/video")
    } throws: { error in
      let text = "\(error)"
      return text.contains("unknown scheme 'http:'") && !text.contains("hunter2")
        && text.hasPrefix("http://admin:***@cam/video:")
    }
  }

  @Test func rejectsEmptyAndMalformed() {
    #expect(throws: VideoError.self) { try SourceSpec(parsing: "   ") }
    #expect(throws: VideoError.self) { try SourceSpec(parsing: "v4l2:video0") }
    #expect(throws: VideoError.self) { try SourceSpec(parsing: "lavfi:") }
  }

  @Test(arguments: [
    ("rtsp://user:pass@10.0.0.5:554/h264", "rtsp://user:***@10.0.0.5:554/h264"),
    ("rtsp://user:p@ss:w@rd@cam/s?x=1", "rtsp://user:***@cam/s?x=1"),
    ("rtsp://onlyuser@cam/s", "rtsp://onlyuser@cam/s"),
    ("rtsp://cam/path@x", "rtsp://cam/path@x"),
    ("/plain/path", "/plain/path"),
  ])
  func masksPasswords(input: String, expected: String) {
    #expect(Redaction.mask(input) == expected)
  }

  /// M3: passwords with '/', '#', '?' or an '@' typed for the ':' were printed in clear.
  @Test(arguments: [
    ("rtsp://admin:hun/ter2@127.0.0.1:9/x", "rtsp://admin:***@127.0.0.1:9/x"),
    ("rtsp://admin:hun#ter2@127.0.0.1:9/x", "rtsp://admin:***@127.0.0.1:9/x"),
    ("rtsp://admin:hun?ter2@127.0.0.1:9/x", "rtsp://admin:***@127.0.0.1:9/x"),
    ("rtsp://admin@hunter2@127.0.0.1:9/x", "rtsp://admin:***@127.0.0.1:9/x"),
    ("rtsp://admin:pw@cam/x@y", "rtsp://admin:***@cam/x@y"),
  ])
  func m3PasswordsWithURLCharactersAreMasked(input: String, expected: String) {
    #expect(Redaction.mask(input) == expected)
  }

  @Test func inputRequestForRTSPCarriesTransportAndTimeout() throws {
    var options = SourceOptions()
    options.openTimeout = 2.5
    let tcp = InputRequest(spec: try SourceSpec(parsing: "rtsp://cam/s"), options: options)
    #expect(tcp.formatName == "rtsp")
    #expect(tcp.url == "rtsp://cam/s")
    #expect(
      tcp.options.map { "\($0.key)=\($0.value)" } == [
        "protocol_whitelist=rtp,rtsp,rtsps,srtp,tcp,tls,udp", "rtsp_transport=tcp", "timeout=2500000",
      ])
    options.rtspTransport = .udp
    let udp = InputRequest(spec: try SourceSpec(parsing: "rtsp://cam/s"), options: options)
    #expect(
      udp.options.map { "\($0.key)=\($0.value)" } == [
        "buffer_size=4194304", "protocol_whitelist=rtp,rtsp,rtsps,srtp,tcp,tls,udp", "rtsp_transport=udp",
        "timeout=2500000",
      ])
  }

  @Test func inputRequestForDevicesAndFiles() throws {
    let v4l2 = InputRequest(spec: try SourceSpec(parsing: "v4l2:/dev/video1"), options: SourceOptions())
    #expect(v4l2.formatName == "video4linux2" && v4l2.url == "/dev/video1" && v4l2.options.isEmpty)
    let lavfi = InputRequest(spec: try SourceSpec(parsing: "lavfi:testsrc"), options: SourceOptions())
    #expect(lavfi.formatName == "lavfi" && lavfi.url == "testsrc")
    let file = InputRequest(spec: try SourceSpec(parsing: "/a.mp4"), options: SourceOptions())
    #expect(file.formatName == nil && file.url == "file:/a.mp4")
    #expect(file.options.map { "\($0.key)=\($0.value)" } == ["protocol_whitelist=file"])
  }

  /// L2: `file:http://…` passed the scheme allow-list and FFmpeg fetched it
  /// over HTTP; `subfile,,…,,:/etc/hostname` read another file as a "plain path".
  @Test(arguments: ["file:http://127.0.0.1:PORT/x.jpg", "tcp://127.0.0.1:PORT", "file:tcp://127.0.0.1:PORT"])
  func l2AFileSourceNeverReachesTheNetwork(template: String) throws {
    let listener = Network.silentListener()
    defer { close(listener.fd) }
    let url = template.replacingOccurrences(of: "PORT", with: String(listener.port))
    var options = SourceOptions()
    options.openTimeout = 2
    options.sampleRate = nil
    let source: VideoSource
    do {
      source = try VideoSource(url: url, options: options)
    } catch {
      #expect("\(error)".contains("scheme"))  // refused by the parser: nothing opened
      return
    }
    #expect(throws: VideoError.self) { _ = try source.nextFrame() }
    var poller = pollfd(fd: listener.fd, events: Int16(POLLIN), revents: 0)
    #expect(poll(&poller, 1, 0) == 0, "\(url) connected to the listener")
  }

  @Test func l2ProtocolSyntaxInAPlainPathIsAFileName() throws {
    var options = SourceOptions()
    options.sampleRate = nil
    let source = try VideoSource(url: "subfile,,start,0,end,10,,:/etc/hostname", options: options)
    #expect {
      _ = try source.nextFrame()
    } throws: { error in
      "\(error)".contains("No such file") || "\(error)".contains("no such file")
    }
  }

  /// L10: a FIFO as a file source blocked forever in open (probe, replay, a
  /// file camera, whose stop then waited 4 s).
  @Test(.timeLimit(.minutes(1))) func l10AFIFOIsRefusedNotOpened() throws {
    let fifo = try Repository.temporaryDirectory("fifo").appendingPathComponent("camera.mp4").path
    #expect(mkfifo(fifo, 0o600) == 0)
    var options = SourceOptions()
    options.sampleRate = nil
    let source = try VideoSource(url: fifo, options: options)
    #expect {
      _ = try source.nextFrame()
    } throws: { error in
      "\(error)".contains("not a regular file")
    }
  }
}
