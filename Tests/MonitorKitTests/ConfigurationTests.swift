import Core
import Foundation
import MonitorKit
import TestSupport
import Testing

@Suite struct ConfigurationTests {
  @Test func commentedExampleLoads() throws {
    let path = Repository.root.appendingPathComponent("systemd/monitor.toml").path
    let config = try Configuration(contentsOf: path)
    #expect(config.cameras.map(\.name) == ["driveway", "front-door"])
    #expect(config.cameras[0].fps == nil && config.cameras[0].transport == .tcp && config.cameras[0].motion)
    #expect(config.cameras[1].fps == nil)
    #expect(config.clipModel == nil && config.temporalModel == nil && config.precision == .auto)
    #expect(config.retrospectiveModel == nil)
    #expect(config.mqtt.qos == 1 && config.mqtt.port == 1883 && config.rulesDirectory == "/etc/monitor/rules.d")
    #expect(config.memory == Configuration.Memory(), "the example spells out the defaults")
  }

  @Test func retrospectiveIsRead() throws {
    let named = try Configuration(toml: "[model]\nretrospective = \"/m/r.safetensors\"", file: "m.toml")
    #expect(named.retrospectiveModel == "/m/r.safetensors")
    #expect(try Configuration(toml: "[model]\nretrospective = \"\"", file: "m.toml").retrospectiveModel == nil)
  }

  @Test(arguments: Configuration.ModelPrecision.allCases)
  func precisionIsRead(precision: Configuration.ModelPrecision) throws {
    let config = try Configuration(toml: "[model]\nprecision = \"\(precision.rawValue)\"", file: "m.toml")
    #expect(config.precision == precision)
  }

  /// `[http] listen`: what an operator writes, and what is refused.
  @Test func httpListenAddresses() throws {
    let off = try Configuration(toml: "", file: "m.toml").http
    #expect(!off.enabled && off.listen == "127.0.0.1:8090" && off.isLoopback && off.tokenFile == nil)
    for (listen, host, port, loopback) in [
      ("127.0.0.1:9000", "127.0.0.1", 9000, true), ("localhost:1", "localhost", 1, true),
      ("[::1]:8090", "::1", 8090, true), ("0.0.0.0:8090", "0.0.0.0", 8090, false),
      ("[::]:8090", "::", 8090, false), ("box.lan:65535", "box.lan", 65535, false),
    ] {
      let http = try Configuration(toml: "[http]\nlisten = \"\(listen)\"\ntoken_file = \"\"", file: "m.toml").http
      #expect(http.host == host && http.port == port && http.isLoopback == loopback && http.listen == listen)
      #expect(http.tokenFile == nil)
    }
    for bad in [
      "", ":80", "host:", "host:0", "host:65536", "host:+80", "[::1]8090", "[::1:80", "[zz::1]:80", "a b:80",
      "127.0.0.1:8090/x", "host:٨٠",
    ] {
      #expect(throws: ConfigError.self, "\(bad)") {
        try Configuration(toml: "[http]\nlisten = \"\(bad)\"", file: "m.toml")
      }
    }
  }

  /// `[[cameras.regions]]` belong to the camera above them, boxes in fractions.
  @Test func camerasHaveRegions() throws {
    let config = try Configuration(
      toml: """
        [[cameras]]
        name = "bedroom"
        url = "a.mp4"
        [[cameras.regions]]
        name = "bed"
        box = [0.5, 0.25, 1, 1]
        [[cameras.regions]]
        name = "door"
        box = [0, 0, 0.2, 0.9]
        [[cameras]]
        name = "hall"
        url = "b.mp4"
        """, file: "m.toml")
    #expect(config.cameras[0].regions.map(\.name) == ["bed", "door"])
    #expect(config.cameras[0].region("bed")?.corners == [0.5, 0.25, 1, 1])
    #expect(config.cameras[0].regions[1].line == 7 && config.cameras[1].regions.isEmpty)
    #expect(try Configuration.Camera.Region(parsing: "bed=0.5,0.25,1,1").corners == [0.5, 0.25, 1, 1])
    for bad in ["bed", "Bed=0,0,1,1", "bed=0,0,1", "bed=0,0,1,x", "bed=0.5,0,0.4,1", "bed=0,0,1,1.5"] {
      #expect(throws: ConfigError.self) { try Configuration.Camera.Region(parsing: bad) }
    }
  }

  @Test func emptyFileGivesDefaults() throws {
    let config = try Configuration(toml: "", file: "m.toml")
    #expect(config.cameras.isEmpty && config.threads >= 1 && !config.node.isEmpty && config.mqtt.host == "localhost")
  }

  @Test(arguments: [
    (
      "trheads = 2",
      "m.toml:1: unknown key 'trheads' (did you mean 'threads'?); valid keys: node, rules_dir, state_dir, threads, model, mqtt, history, memory, http, clips, cameras"
    ),
    ("threads = 0", "m.toml:1: threads must be 1…64, got 0"),
    ("node = \"Edge 1\"", "m.toml:1: node 'Edge 1' must be a–z, 0–9, '-' or '_' (it names MQTT topics)"),
    ("[model]\nclip = 3", "m.toml:2: 'clip' must be a string, not an integer"),
    (
      "[model]\nprecision = \"int4\"",
      "m.toml:2: precision must be \"auto\", \"fp32\", \"int8\" or \"bf16\", got \"int4\""
    ),
    (
      "[model]\nprecision = \"BF16\"",
      "m.toml:2: precision must be \"auto\", \"fp32\", \"int8\" or \"bf16\", got \"BF16\""
    ),
    ("[mqtt]\nport = 70000", "m.toml:2: mqtt port must be 1…65535, got 70000"),
    ("[clips]\npre_roll = -1", "m.toml:2: clips pre_roll must be 0…60 seconds, got -1.0"),
    ("[clips]\npost_roll = 601", "m.toml:2: clips post_roll must be 0…600 seconds, got 601.0"),
    ("[clips]\nring_megabytes = 0", "m.toml:2: clips ring_megabytes must be 1…1024, got 0"),
    ("[memory]\nblock_seconds = 5", "m.toml:2: memory block_seconds must be 10…3600 seconds, got 5.0"),
    ("[memory]\nentries_per_block = 0", "m.toml:2: memory entries_per_block must be 1…256, got 0"),
    (
      "[memory]\nblocks = 3",
      "m.toml:2: unknown key 'blocks'; valid keys: enabled, block_seconds, entries_per_block, keep_days, max_megabytes"
    ),
    (
      "[clips]\npreroll = 3",
      "m.toml:2: unknown key 'preroll' (did you mean 'pre_roll'?); valid keys: enabled, pre_roll, post_roll, max_megabytes, ring_megabytes"
    ),
    ("[mqtt]\nqos = 3", "m.toml:2: mqtt qos must be 0…2, got 3"),
    ("[mqtt]\npassword_file = \"/p\"", "m.toml:2: mqtt password_file needs a username"),
    ("[mqtt]\ntls_ca = \"/ca\"\ntls_cert = \"/c\"", "m.toml:3: mqtt tls_cert and tls_key must be given together"),
    (
      "[mqtt]\nhots = \"x\"",
      "m.toml:2: unknown key 'hots' (did you mean 'host'?); valid keys: enabled, host, port, prefix, qos, client_id, username, password_file, tls_ca, tls_cert, tls_key, keepalive"
    ),
    ("[[cameras]]\nurl = \"a.mp4\"", "m.toml:1: camera without a name (add name = \"driveway\")"),
    ("[[cameras]]\nname = \"a\"", "m.toml:1: camera 'a' has no url"),
    (
      "[[cameras]]\nname = \"a\"\nurl = \"http://x\"",
      "m.toml:3: camera 'a': http://x: unknown scheme 'http:' (use rtsp://, rtsps://, v4l2:/dev/videoN, lavfi:GRAPH, file:PATH or a path)"
    ),
    (
      "[[cameras]]\nname = \"a\"\nurl = \"x.mp4\"\nfps = 0",
      "m.toml:4: camera 'a': fps must be above 0 and at most 30, got 0.0"
    ),
    (
      "[[cameras]]\nname = \"a\"\nurl = \"x.mp4\"\ntransport = \"quic\"",
      "m.toml:4: transport must be \"tcp\" or \"udp\", got \"quic\""
    ),
    (
      "[[cameras]]\nname = \"a\"\nurl = \"x.mp4\"\n[[cameras]]\nname = \"a\"\nurl = \"y.mp4\"",
      "m.toml:4: camera name 'a' is already used on line 1"
    ),
    (
      "[[cameras]]\nname = \"a\"\nurl = \"x.mp4\"\n[[cameras.regions]]\nname = \"bed\"\nbox = [0.5, 0, 0.4, 1]",
      "m.toml:6: camera 'a': region 'bed': box = [x0, y0, x1, y1], fractions of the frame from its top left corner, e.g. [0.5, 0.25, 1, 1], each 0…1 with x0 < x1 and y0 < y1"
    ),
    (
      "[[cameras]]\nname = \"a\"\nurl = \"x.mp4\"\n[[cameras.regions]]\nname = \"bed\"",
      "m.toml:4: camera 'a': region 'bed' has no box (box = [x0, y0, x1, y1], fractions of the frame from its top left corner, e.g. [0.5, 0.25, 1, 1])"
    ),
    (
      "[[cameras]]\nname = \"a\"\nurl = \"x.mp4\"\n[[cameras.regions]]\nname = \"Bed\"\nbox = [0, 0, 1, 1]",
      "m.toml:5: camera 'a': region name 'Bed' must be a–z, 0–9, '-' or '_' (rules name it)"
    ),
    (
      "[[cameras]]\nname = \"a\"\nurl = \"x.mp4\"\n[[cameras.regions]]\nname = \"b\"\nbox = [0, 0, 1, 1]\n[[cameras.regions]]\nname = \"b\"\nbox = [0, 0, 1, 1]",
      "m.toml:7: camera 'a': region name 'b' is already used on line 4"
    ),
    (
      "[[cameras]]\nname = \"a\"\nurl = \"x.mp4\"\n[[cameras.regions]]\nname = \"b\"\nbox = [0, 0, 1, 1]\nsize = 2",
      "m.toml:7: unknown key 'size' (did you mean 'name'?); valid keys: name, box"
    ),
    (
      "[[cameras]]\nname = \"a\"\nurl = \"x.mp4\"\nfsp = 2",
      "m.toml:4: unknown key 'fsp' (did you mean 'fps'?); valid keys: name, url, fps, motion, motion_threshold, transport, enabled, loop, regions"
    ),
    ("cameras = 3", "m.toml:1: cameras must be [[cameras]] tables"),
    ("[history]\nkeep_days = 0", "m.toml:2: history keep_days must be 1…36500, got 0"),
    ("[history]\nmax_mb = 5", "m.toml:2: unknown key 'max_mb'; valid keys: enabled, keep_days, max_megabytes"),
    ("[http]\nport = 80", "m.toml:2: unknown key 'port'; valid keys: enabled, listen, token_file"),
    (
      "[http]\nlisten = \"8090\"",
      "m.toml:2: http listen '8090' is not host:port (127.0.0.1:8090, 0.0.0.0:8090 or [::1]:8090; port 1–65535)"
    ),
  ])
  func everyClassOfMistakeIsOneLineWithTheLine(text: String, message: String) {
    Self.refused(text, message)
  }

  private static func refused(_ text: String, _ message: String) {
    do {
      _ = try Configuration(toml: text, file: "m.toml")
      Issue.record("accepted: \(text)")
    } catch {
      #expect(error.description == message)
    }
  }

  /// M5: numbers that trapped in `Int(Double)` (exit 132) or were silently truncated.
  @Test(arguments: [
    ("threads = 1e300", "m.toml:1: 'threads' must be a whole number, not a decimal number"),
    ("threads = 9223372036854775808", "m.toml:1: 'threads' must be a whole number, not a decimal number"),
    ("threads = 2.7", "m.toml:1: 'threads' must be a whole number, not a decimal number"),
    ("[mqtt]\nport = 1e19", "m.toml:2: 'port' must be a whole number, not a decimal number"),
    ("[mqtt]\nport = 1883.9", "m.toml:2: 'port' must be a whole number, not a decimal number"),
    ("[mqtt]\nqos = 1.5", "m.toml:2: 'qos' must be a whole number, not a decimal number"),
    ("[mqtt]\nkeepalive = 1e100", "m.toml:2: 'keepalive' must be a whole number, not a decimal number"),
    ("[mqtt]\nkeepalive = 1", "m.toml:2: mqtt keepalive (seconds) must be 5…3600, got 1"),
  ])
  func m5WholeNumbersAreCheckedNotTrappedOrTruncated(text: String, message: String) {
    Self.refused(text, message)
  }

  /// M6: a prefix the broker refuses (every event stuck in the outbox, nothing
  /// logged) or that makes topics nobody subscribes to.
  @Test(arguments: [
    ("[mqtt]\nprefix = \"a/#\"", "m.toml:2: mqtt prefix 'a/#' must not contain the wildcards '#' or '+'"),
    ("[mqtt]\nprefix = \"+\"", "m.toml:2: mqtt prefix '+' must not contain the wildcards '#' or '+'"),
    ("[mqtt]\nprefix = \"\"", "m.toml:2: mqtt prefix '' must not be empty"),
    (
      "[mqtt]\nprefix = \"/\"",
      "m.toml:2: mqtt prefix '/' must not start or end with '/' or contain an empty level ('//')"
    ),
    ("[mqtt]\nprefix = \"a\\u0000b\"", "m.toml:2: mqtt prefix 'a\u{0000}b' must not contain control characters"),
  ])
  func m6PrefixIsAValidTopicStart(text: String, message: String) {
    Self.refused(text, message)
  }

  @Test func missingFileIsNamed() {
    #expect(
      throws: ConfigError(file: "/nonexistent.toml", line: 0, "cannot read the configuration (missing or not UTF-8)")
    ) {
      try Configuration(contentsOf: "/nonexistent.toml")
    }
  }
}
