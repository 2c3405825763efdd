/// Real HTTP requests for the API tests, made by curl (as an operator or a
/// Prometheus server would make them).
public enum Curl {
  /// One request: the status (0 when nothing answered) and the body (or, with `-i`, headers and body).
  public static func get(_ url: String, _ extra: [String] = []) throws -> (status: Int, body: String) {
    let child = try ChildProcess(
      "/usr/bin/curl", ["-s", "-g", "--max-time", "30", "-w", "\n%{http_code}"] + extra + [url])
    child.process.waitUntilExit()
    let lines = child.log.split(separator: "\n", omittingEmptySubsequences: false)
    return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
  }
}
