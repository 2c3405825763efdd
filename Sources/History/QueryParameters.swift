import Core

/// The parameters of the API's queries (`GET /api/events`, `GET /api/search`).
public enum QueryParameters {
  /// A URL query's parameters as the API takes them: only `names`, each at
  /// most once and at most 256 bytes; throws one line naming the parameter.
  public static func checked(
    _ parameters: [(name: String, value: String)], names: [String]
  ) throws(ConfigError) -> [(name: String, value: String)] {
    var seen: Set<String> = []
    for (name, value) in parameters {
      guard names.contains(name) else {
        throw ConfigError(
          file: String(name.prefix(64)), line: 0, "unknown parameter (use \(names.joined(separator: ", ")))")
      }
      guard seen.insert(name).inserted else { throw ConfigError(file: name, line: 0, "given twice") }
      guard value.utf8.count <= 256 else { throw ConfigError(file: name, line: 0, "longer than 256 bytes") }
    }
    return parameters
  }
}
