/// Masks credentials in source URLs so no password reaches a log line,
/// an error message or an MQTT payload.
public enum Redaction {
  /// `rtsp://user:secret@host/path` → `rtsp://user:***@host/path`.
  /// Text without credentials is returned unchanged.
  ///
  /// Passwords may contain `/`, `?`, `#` and `@` (typed unencoded), so the user
  /// info is not cut at the first `/`: it ends at the last `@` before the
  /// first `/` that follows an `@`. A path with an `@` may be over-masked;
  /// a password is never shown.
  public static func mask(_ text: String) -> String {
    guard let schemeEnd = text.firstRange(of: "://") else { return text }
    let authorityStart = schemeEnd.upperBound
    let rest = text[authorityStart...]
    guard let firstAt = rest.firstIndex(of: "@") else { return text }
    let pathStart = rest[firstAt...].firstIndex(of: "/") ?? text.endIndex
    let at = rest[..<pathStart].lastIndex(of: "@")!
    let userInfo = rest[..<at]
    // A bare user name (no ':' and no second '@') carries no secret.
    guard let end = userInfo.firstIndex(where: { $0 == ":" || $0 == "@" }) else { return text }
    return String(text[..<authorityStart]) + String(userInfo[..<end]) + ":***" + String(text[at...])
  }
}
