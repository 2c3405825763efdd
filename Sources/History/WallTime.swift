import Core
import Foundation

/// Wall-clock times as operators write them on a command line or in a URL.
public enum WallTime {
  /// `2026-11-28`, `2026-11-28T06:00:00Z` (or `+01:00`), seconds since 1970 (decimals allowed),
  /// or an age: `90s`, `30m`, `12h`, `7d` ago. Throws one line naming `option`.
  public static func parse(_ text: String, now: Double, option: String) throws(ConfigError) -> Double {
    if let unit = text.last, let scale = ["s": 1.0, "m": 60, "h": 3_600, "d": 86_400][String(unit)],
      let amount = Double(text.dropLast()), amount >= 0, amount <= 1e6
    {
      return now - amount * scale
    }
    if text.first?.isNumber == true, text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
      let seconds = Double(text), seconds < 1e11
    {
      return seconds
    }
    let full = text.count == 10 ? text + "T00:00:00Z" : text
    if let date = try? Date(full, strategy: .iso8601) { return date.timeIntervalSince1970 }
    if let date = try? Date(full, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) {
      return date.timeIntervalSince1970
    }
    throw ConfigError(
      file: option, line: 0,
      "'\(text)' is not a time: use 2026-11-28, 2026-11-28T06:00:00Z, seconds since 1970, or an age like 30m, 12h, 7d")
  }
}
