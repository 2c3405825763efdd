/// Masks credentials in source URLs so no password reaches a log line,
/// an error message or an MQTT payload.
public enum Redaction {
  /// `rtsp://user:secret@host/path` → `rtsp://user:***@host/path`.
  /// Text without credentials is returned unchanged.
  public static func mask(_ text: String) -> String {
    guard let schemeEnd = text.firstRange(of: "://") else { return text }
    let authorityStart = schemeEnd.upperBound
    let rest = text[authorityStart...]
    let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? text.endIndex
    let authority = text[authorityStart..<authorityEnd]
    // The last '@' ends the user info: passwords may themselves contain '@'.
    guard let at = authority.lastIndex(of: "@") else { return text }
    let userInfo = authority[..<at]
    guard let colon = userInfo.firstIndex(of: ":") else { return text }
    let user = userInfo[..<colon]
    let head = String(text[..<authorityStart])
    let tail = String(text[at...])
    return head + String(user) + ":***" + tail
  }
}
